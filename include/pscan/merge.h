/* merge.h: `pscan merge OUT IN...`, one scan's result from the JSON Lines
 * files of its shards (--shard K/N) and of their resumed runs.
 *
 * The merged file is what one unsharded run would have written, timing
 * apart: the hosts in target order, each with its rows and "Not shown"
 * groups worked out again from the shards' (a state folds when the whole
 * host has more than 25 ports in it, not one shard's part), and one
 * summary.  Which pairs each part scanned follows from the seed, the
 * shard's slice and the cover its summary gives, so the ports of a host
 * that answered nothing in one shard are still listed, as a single run
 * lists them.
 *
 * Inputs that are not parts of one scan (seed, targets and ports, version,
 * scan type or options differ), a shard given twice, and a shard that did
 * not end are refused with one line naming the problem: exit 1.  With
 * --partial what is there is merged, and stderr names the missing shards:
 * exit 4, as for an interrupted scan.  A write failure is exit 2. */
#ifndef PSCAN_MERGE_H
#define PSCAN_MERGE_H

/* argv[0] is "merge".  Prints its own errors; returns the exit status. */
int ps_merge_main(int argc, char **argv);

#endif
