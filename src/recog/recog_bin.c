/* recog_bin.c: binary protocols whose first message names them.
 *
 * MySQL and its kin send a handshake first (protocol 10, then the server
 * version as a C string); PostgreSQL answers a startup or a stray byte
 * with a typed message ('E' error, 'R' authentication, 'N' notice, or a
 * lone 'N'/'S' to an SSLRequest); an MQTT broker answers CONNECT with
 * CONNACK (0x20 0x02); an AMQP 0-9-1 broker either sends its protocol
 * header back or Connection.Start, whose server-properties table holds
 * "product" and "version"; a VNC server greets "RFB 003.008\n"; SMB
 * answers a negotiate with 0xff or 0xfe "SMB" after a NetBIOS header.
 * Every length is checked against the reply before it is followed. */
#include <stdio.h>
#include <string.h>

#include "recog_int.h"

int rg_mysql(const rg_in *in, ps_service_info *out)
{
    const uint8_t *p = in->p;
    if (in->n < 12 || p[3] != 0 || p[4] != 10) return 0; /* sequence 0, protocol 10 */
    size_t plen = (size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16;
    if (plen < 8 || plen > 4096) return 0;
    const char *v = (const char *)p + 5, *end = memchr(v, 0, in->n - 5);
    if (!end || end == v || v[0] < '0' || v[0] > '9') return 0;
    size_t vlen = (size_t)(end - v), num = 0;
    while (num < vlen && v[num] != '-') num++;
    const char *product = "MySQL";
    if (rg_find(v, vlen, "MariaDB") >= 0) product = "MariaDB";
    else if (rg_find(v, vlen, "-id64") >= 0 || rg_find(v, vlen, "-release") >= 0) product = "Sphinx Search SphinxQL";
    int lv = rg_fill(out, "mysql", product, strlen(product), v, num);
    if (num < vlen) rg_copy(out->info, sizeof out->info, v + num + 1, vlen - num - 1);
    return lv;
}

/* A PostgreSQL backend message: type byte, then an int32 length counting
 * itself; an error's fields are (code byte, C string)... ending with 0. */
int rg_postgresql(const rg_in *in, ps_service_info *out)
{
    const uint8_t *p = in->p;
    if (in->n < 5 || (p[0] != 'E' && p[0] != 'R' && p[0] != 'N')) return 0;
    uint32_t len = rg_be32(p + 1);
    if (len < 4 || len > 65536 || (p[0] == 'R' && len != 8 && len < 10)) return 0;
    if (p[0] == 'R') {
        uint32_t kind = in->n >= 9 ? rg_be32(p + 5) : 99;
        return kind <= 12 ? rg_fill(out, "postgresql", "PostgreSQL", 10, NULL, 0) : 0;
    }
    /* Error or notice: a known field code must follow, "S" (severity). */
    if (in->n < 7 || (p[5] != 'S' && p[5] != 'V' && p[5] != 'C' && p[5] != 'M')) return 0;
    const char *f = (const char *)p + 6, *e = memchr(f, 0, in->n - 6);
    if (!e) return 0;
    return rg_fill(out, "postgresql", "PostgreSQL", 10, NULL, 0);
}

int rg_mqtt(const rg_in *in, ps_service_info *out)
{
    const uint8_t *p = in->p;
    if (in->n < 4 || p[0] != 0x20 || p[1] != 0x02 || p[2] > 1) return 0;
    if (p[3] > 5 && !(p[3] >= 0x80 && p[3] <= 0xa2)) return 0; /* 3.1.1 codes 0-5, 5.0 reason codes */
    return rg_fill(out, "mqtt", NULL, 0, NULL, 0);
}

/* Skip one AMQP field value of type t at p[*i] (end: the table's end). */
static int amqp_skip(const uint8_t *p, size_t *i, size_t end, uint8_t t)
{
    static const char fixed[] = "tbBsuIilLfdTDV";
    static const uint8_t size[] = {1, 1, 1, 2, 2, 4, 4, 8, 8, 4, 8, 8, 5, 0};
    const char *k = memchr(fixed, t, sizeof fixed - 1);
    size_t n;
    if (k) {
        n = size[k - fixed];
    } else if (t == 'S' || t == 'F' || t == 'A' || t == 'x') {
        if (*i + 4 > end) return -1;
        n = 4 + rg_be32(p + *i);
    } else {
        return -1;
    }
    if (n > end - *i) return -1;
    *i += n;
    return 0;
}

/* "product" and "version" of Connection.Start's server-properties table. */
static void amqp_properties(const uint8_t *p, size_t i, size_t end, ps_service_info *out)
{
    for (int entries = 0; i < end && entries < 64; entries++) {
        size_t klen = p[i++];
        if (klen > end - i) return;
        const char *key = (const char *)p + i;
        i += klen;
        if (i >= end) return;
        uint8_t t = p[i++];
        if (t == 'S' && i + 4 <= end) {
            uint32_t vlen = rg_be32(p + i);
            if (vlen <= end - i - 4) {
                const char *v = (const char *)p + i + 4;
                if (klen == 7 && memcmp(key, "product", 7) == 0) rg_copy(out->product, sizeof out->product, v, vlen);
                if (klen == 7 && memcmp(key, "version", 7) == 0) rg_copy(out->version, sizeof out->version, v, vlen);
                if (klen == 8 && memcmp(key, "platform", 8) == 0) rg_copy(out->info, sizeof out->info, v, vlen);
            }
        }
        if (amqp_skip(p, &i, end, t)) return;
    }
}

int rg_amqp(const rg_in *in, ps_service_info *out)
{
    const uint8_t *p = in->p;
    if (rg_prefix(in, "AMQP") && in->n >= 8 && p[4] <= 3) return rg_fill(out, "amqp", NULL, 0, NULL, 0);
    /* Method frame on channel 0: Connection.Start (class 10, method 10). */
    if (in->n < 15 || p[0] != 1 || p[1] != 0 || p[2] != 0 || rg_be16(p + 7) != 10 || rg_be16(p + 9) != 10) return 0;
    size_t size = rg_be32(p + 3), end = 7 + size;
    if (end > in->n) end = in->n; /* a cut reply: read what arrived */
    if (in->n < 17) return rg_fill(out, "amqp", NULL, 0, NULL, 0);
    size_t tlen = rg_be32(p + 13), tend = 17 + tlen < end ? 17 + tlen : end;
    rg_fill(out, "amqp", NULL, 0, NULL, 0);
    amqp_properties(p, 17, tend, out);
    if (!out->product[0]) out->version[0] = 0;
    char ver[16];
    snprintf(ver, sizeof ver, "AMQP %u-%u", p[11], p[12]);
    if (!out->info[0]) rg_copy(out->info, sizeof out->info, ver, strlen(ver));
    return ps_info_level(out);
}

int rg_rfb(const rg_in *in, ps_service_info *out)
{
    const uint8_t *p = in->p;
    if (in->n < 12 || !rg_prefix(in, "RFB ") || p[7] != '.' || p[11] != '\n') return 0;
    for (int i = 4; i < 11; i++)
        if (i != 7 && (p[i] < '0' || p[i] > '9')) return 0;
    int lv = rg_fill(out, "vnc", NULL, 0, NULL, 0);
    snprintf(out->info, sizeof out->info, "protocol %d.%d", (p[4] - '0') * 100 + (p[5] - '0') * 10 + (p[6] - '0'),
             (p[8] - '0') * 100 + (p[9] - '0') * 10 + (p[10] - '0'));
    return lv;
}

int rg_smb(const rg_in *in, ps_service_info *out)
{
    const uint8_t *p = in->p;
    if (in->n < 8 || p[0] != 0) return 0; /* NetBIOS session message */
    if ((p[4] != 0xff && p[4] != 0xfe) || memcmp(p + 5, "SMB", 3) != 0) return 0;
    return rg_fill(out, "microsoft-ds", NULL, 0, NULL, 0);
}
