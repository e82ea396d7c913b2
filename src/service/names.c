/* names.c: the words for a result's status, pass and retry reason, as
 * every output format writes them (one place, so they cannot drift). */
#include "pscan/service.h"

const char *ps_svc_pass_name(enum ps_svc_pass p)
{
    return p == PS_SVC_RETRY ? "retry" : p == PS_SVC_GAVE_UP ? "gave-up" : "first";
}

static const char *const why_words[PS_WHY_COUNT][2] = {
    [PS_WHY_NONE] = {"", ""},
    [PS_WHY_HANDSHAKE] = {"tls-timeout", "a TLS handshake timed out"},
    [PS_WHY_CONNECT] = {"connect-timeout", "a connect timed out"},
    [PS_WHY_DROPPED] = {"closed-empty", "closed before saying anything"},
    [PS_WHY_REFUSED] = {"refused", "refused a connection"},
    [PS_WHY_LATE] = {"late", "greeted late"},
    [PS_WHY_SILENT] = {"silent", "silent"},
};

const char *ps_svc_why_name(enum ps_svc_why w)
{
    return w < PS_WHY_COUNT ? why_words[w][0] : "";
}

const char *ps_svc_why_text(enum ps_svc_why w)
{
    return w < PS_WHY_COUNT ? why_words[w][1] : "";
}

const char *ps_svc_status_name(enum ps_svc_status st)
{
    switch (st) {
    case PS_SVC_MATCH: return "match";
    case PS_SVC_SOFT: return "softmatch";
    case PS_SVC_UNKNOWN: return "unknown";
    case PS_SVC_TCPWRAPPED: return "tcpwrapped";
    case PS_SVC_CLOSED: return "closed";
    }
    return "?";
}
