/* udp_payloads.h: the payloads the UDP scan (-sU) sends.
 *
 * A UDP port only answers a datagram its service understands, so each
 * well-known port gets a request written from its protocol's RFC or
 * specification (udp_payloads.c); any other port gets an empty datagram,
 * which is enough to draw an ICMP port unreachable from a closed port.
 * Some ports have more than one payload (443: QUIC, then DTLS): retries
 * walk through them. */
#ifndef PSCAN_UDP_PAYLOADS_H
#define PSCAN_UDP_PAYLOADS_H

#include <stddef.h>
#include <stdint.h>

/* The first payload for port; never NULL (length 0: an empty datagram). */
const uint8_t *ps_udp_payload(uint16_t port, size_t *len);
/* How many payloads port has (at least 1: the empty one). */
unsigned ps_udp_payload_count(uint16_t port);
/* Payload i of port (i < ps_udp_payload_count), else NULL. */
const uint8_t *ps_udp_payload_n(uint16_t port, unsigned i, size_t *len);
/* A short name for payload i of port ("dns-version-bind"), "empty" for none. */
const char *ps_udp_payload_name(uint16_t port, unsigned i);
/* Does the service answer from another port than the one probed (TFTP
 * replies from a fresh port, RFC 1350 section 4)?  The engine then takes
 * any datagram from the host on that probe's socket as the answer. */
int ps_udp_reply_elsewhere(uint16_t port);

#endif
