/* addr.h: one address type for IPv4 and IPv6.
 *
 * IPv4 is kept as a host-order uint32 so ranges are plain integer
 * arithmetic; IPv6 as 16 network-order bytes (ps_addr6_to_u128 converts
 * for arithmetic). */
#ifndef PSCAN_ADDR_H
#define PSCAN_ADDR_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

typedef unsigned __int128 ps_u128;

typedef struct ps_addr {
    int family; /* AF_INET or AF_INET6 */
    union {
        uint32_t v4;    /* host byte order */
        uint8_t v6[16]; /* network byte order */
    } u;
} ps_addr;

#define PS_ADDRSTRLEN 46

/* Text form ("198.18.0.1", "2001:db8::1"); returns buf. */
const char *ps_addr_str(const ps_addr *a, char *buf, size_t len);
/* Parse a literal IPv4 or IPv6 address (no CIDR, no ranges); 0 on success.
 * IPv4 is strictly four decimal octets ("010" is ten, "127.1" is refused);
 * IPv6 zone ids ("fe80::1%eth0") are refused. */
int ps_addr_parse(const char *s, ps_addr *out);
/* The IPv4 half of ps_addr_parse on a counted string (host order); 0 on success. */
int ps_addr_parse_v4(const char *s, size_t len, uint32_t *out);
/* One decimal octet of one to three digits, 0..255; 0 on success. */
int ps_addr_parse_octet(const char *s, size_t len, unsigned *out);
/* Total order: IPv4 before IPv6, then numeric. */
int ps_addr_cmp(const ps_addr *a, const ps_addr *b);
ps_u128 ps_addr6_to_u128(const uint8_t v6[16]);
void ps_u128_to_addr6(ps_u128 x, uint8_t v6[16]);
/* Fill a sockaddr_storage for connect()/sendto(); returns its length. */
socklen_t ps_addr_to_sockaddr(const ps_addr *a, uint16_t port, struct sockaddr_storage *ss);
/* -S for ordinary sockets: bind fd, a socket of family, to src (any port)
 * when src is given and of that family.  0, or -1 with errno. */
int ps_addr_bind_source(int fd, int family, const ps_addr *src);

#endif
