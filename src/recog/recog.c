/* recog.c: the recognisers' table, the choice among their readings, and
 * the helpers they share (see include/pscan/recog.h and recog_int.h).
 *
 * Every recogniser reads every reply: a reply to the HTTP probe may be
 * the only thing an SMTP server ever says, and its greeting comes first.
 * Each one checks the reply's shape cheaply before it reads further, so a
 * reply costs a few comparisons per recogniser that does not fit. */
#include <string.h>

#include "recog_int.h"

static const rg_recog recognisers[] = {
    {"http", rg_http},         {"ssh", rg_ssh},       {"banner", rg_banner},     {"redis", rg_redis},
    {"memcached", rg_memcached}, {"mysql", rg_mysql}, {"postgresql", rg_postgresql}, {"mqtt", rg_mqtt},
    {"amqp", rg_amqp},         {"rfb", rg_rfb},       {"smb", rg_smb},           {"dns", rg_dns},
    {"ldap", rg_ldap},
};
enum { NRECOG = sizeof recognisers / sizeof recognisers[0] };

size_t ps_recog_count(void)
{
    return NRECOG;
}

const char *ps_recog_name(size_t i)
{
    return i < NRECOG ? recognisers[i].name : NULL;
}

int ps_recog(const uint8_t *reply, size_t len, enum ps_proto proto, ps_service_info *out)
{
    rg_in in = {reply, len, proto};
    int best = 0;
    memset(out, 0, sizeof *out);
    if (!reply || !len) return 0;
    for (size_t i = 0; i < NRECOG && best < 3; i++) {
        ps_service_info got;
        memset(&got, 0, sizeof got);
        int lv = recognisers[i].fn(&in, &got);
        if (lv > best) {
            best = lv;
            *out = got;
        }
    }
    return best;
}
