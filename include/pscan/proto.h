/* proto.h: the transport protocols a port belongs to.  Its own header so
 * that the port sets (ports.h), the registry (iana.h) and the results
 * (result.h) can name a protocol without depending on one another. */
#ifndef PSCAN_PROTO_H
#define PSCAN_PROTO_H

enum ps_proto { PS_TCP = 0, PS_UDP = 1 };

/* "tcp", "udp" (inline: every stage names protocols, none should depend
 * on another for it). */
static inline const char *ps_proto_name(enum ps_proto p)
{
    return p == PS_UDP ? "udp" : "tcp";
}

#endif
