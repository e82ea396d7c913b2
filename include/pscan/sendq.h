/* sendq.h: a second sending thread that takes whole batches of frames.
 *
 * On a veth (and on any device whose peer answers in the sender's softirq)
 * most of a probe's cost is kernel work charged to the CPU that called
 * sendmmsg; a second thread calling it spreads that work over two cores.
 * The caller stays the one that builds batches: at each flush it offers
 * the batch to the queue, which takes it when it holds fewer than
 * PS_SENDQ_DEPTH batches, and otherwise says "full": the caller then sends
 * the batch itself, on its own sender.  So neither thread ever waits for
 * the other while batches flow.
 *
 * The caller names each of its batch buffers by a small slot number (0 to
 * 31); the queue reports which slots it still holds, so the caller knows
 * which buffer it may fill next.  A taken batch (its frames array and the
 * bytes the frames point to) belongs to the queue until its slot leaves
 * that mask.  The sender a batch goes out on must be one the caller does
 * not use at the same time (a second socket on the same device).
 *
 * Errors: the first send error the thread meets is kept; every later
 * offer and drain returns it. */
#ifndef PSCAN_SENDQ_H
#define PSCAN_SENDQ_H

#include <stddef.h>

#include "pscan/err.h"
#include "pscan/sender.h"

/* Batches the queue holds at most: the one being sent and the next one,
 * so the thread finds work ready as it finishes a batch.  The caller
 * needs PS_SENDQ_DEPTH + 1 buffers to always have one to build in. */
enum { PS_SENDQ_DEPTH = 2 };

typedef struct ps_sendq ps_sendq;

/* Start the thread.  PS_ERUNTIME (and *out NULL) if it cannot be. */
int ps_sendq_start(ps_sendq **out, ps_err *e);

/* Offer frames[0..n) (n > 0), to be sent on snd, from the caller's buffer
 * `slot` (0..31).  *taken is 1 if the queue took the batch, 0 if it is
 * full (send it yourself).  *held is the mask of slots the queue holds
 * after the call (bit `slot` set when taken); a slot can leave it at any
 * time afterwards, never join it without an offer.  Returns the thread's
 * first send error, if it had one (the batch is then not taken). */
int ps_sendq_offer(ps_sendq *q, const ps_frame *frames, size_t n, ps_sender *snd, unsigned slot,
                   int *taken, unsigned *held, ps_err *e);

/* Wait until every batch taken has been sent; the first send error, if
 * any.  NULL is fine (nothing to wait for). */
int ps_sendq_drain(ps_sendq *q, ps_err *e);

/* Send what is still queued, end the thread and free the queue; NULL is
 * fine. */
void ps_sendq_stop(ps_sendq *q);

#endif
