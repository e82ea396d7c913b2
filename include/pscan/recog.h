/* recog.h: structural recognisers -- reading what a service is from where
 * its protocol keeps it, in any reply to any probe.
 *
 * Many protocols carry their product and version in a fixed place: an
 * HTTP Server header, an SSH identification string, a MySQL handshake's
 * version field, the text of a DNS version.bind answer, an AMQP
 * Connection.Start's server properties, an LDAP root DSE's vendorName.
 * A recogniser reads it there, so a product needs no regex of its own, and
 * a reply's shape alone (a 220 greeting, an HTTP status line, an SSH
 * identification, a PostgreSQL error) names the protocol family when
 * nothing names the product.  The probe files (probedb.h) stay the place
 * for product-specific patterns; the service engine runs both on every
 * reply and keeps the more specific answer (ps_info_level).
 *
 * Every recogniser is bounded by the reply's length, copies at most its
 * field sizes, and treats the bytes as hostile: writers escape them. */
#ifndef PSCAN_RECOG_H
#define PSCAN_RECOG_H

#include <stddef.h>
#include <stdint.h>

#include "pscan/probedb.h"
#include "pscan/proto.h"

/* How much an answer says: 0 nothing, 1 the service, 2 and the product,
 * 3 and its version. */
int ps_info_level(const ps_service_info *in);

/* Read reply[0, len) (from proto's transport) with every recogniser;
 * the most specific reading goes to *out.  Returns its level (0: none
 * recognised the reply, *out is cleared). */
int ps_recog(const uint8_t *reply, size_t len, enum ps_proto proto, ps_service_info *out);

/* The recognisers, by name (i < ps_recog_count()), for tests and docs. */
size_t ps_recog_count(void);
const char *ps_recog_name(size_t i);

#endif
