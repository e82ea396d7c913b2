/* top_ports.c: pscan's own ranking of the most commonly open ports.
 *
 * The ranking has a hand-ranked head and a rule-built tail.  The heads
 * below were written for pscan from general knowledge of what listens on
 * servers, desktops, network gear, appliances and developer machines; they
 * are not taken from nmap-services or any other project's list, and their
 * order is pscan's judgement, roughly "how likely is this port open on a
 * host picked at random from a mixed network", grouped in tiers.
 *
 * After the head, every remaining port follows in this order (so that any
 * n from 1 to 65535 works and the result is always deterministic):
 *   1. ports 1-1023 that IANA has assigned a service name, ascending;
 *   2. ports 1024-49151 that IANA has assigned a service name, ascending;
 *   3. every other port 1-65535 (unassigned, reserved, dynamic), ascending.
 * Port 0 is never included.  docs/ports.md states the same rule for users. */
#include <string.h>

#include "pscan/iana.h"

/* TCP, best first.  Tiers are separated by blank lines; within a tier the
 * order is still meaningful. */
static const uint16_t top_tcp[] = {
    /* The ports nearly every scan finds. */
    80, 443, 22, 21, 25, 3389, 445, 139, 23, 53, 8080, 135, 110, 143, 3306,
    993, 995, 587, 8443, 111, 5900, 8000, 465, 1723, 5432, 8888, 631, 9100,
    1433, 6379, 3000, 5000, 8081, 2049, 389, 88, 5985, 27017, 9000, 8008,
    636, 464, 593, 5060, 179, 1521, 49152, 49153, 49154, 3128, 1080, 5357,

    /* Very common services: web variants, Windows, mail, remote access. */
    8082, 8088, 8090, 8001, 8181, 81, 9090, 10000, 8880, 5001, 4443, 9443,
    2222, 5901, 3268, 3269, 5986, 49155, 49156, 49157, 1025, 1026, 1027,
    2000, 5061, 548, 515, 554, 873, 990, 2525, 119, 113, 11211, 9200, 9300,
    5672, 1883, 2375, 2376, 6443, 10250, 2379, 2380, 7001, 7002, 8009, 8086,
    8089, 8161, 9091, 1194, 5800, 5938, 6000, 6001, 3283, 62078, 7000, 7070,
    8010, 8083, 8084, 8085, 8087, 8100, 8180, 8200, 8300, 8500, 8800, 9080,
    9999, 12345, 2082, 2083, 2086, 2087, 2095, 2096,

    /* Databases and data stores. */
    1434, 1522, 5433, 27018, 27019, 6380, 9042, 7199, 5984, 8529, 7474,
    7687, 3050, 50000, 33060, 28015, 26257, 8091, 8092, 2424, 9001, 8123,
    1583, 5050, 6432, 9004, 8812, 9009, 4000, 7077, 7473,

    /* Messaging, queues, directory, chat. */
    5671, 15672, 8883, 61616, 61613, 4222, 6222, 8222, 9092, 9093, 2181,
    6650, 5222, 5223, 5269, 6667, 6697, 1414, 5280, 5281, 7443, 3478, 5349,

    /* Containers, orchestration, observability. */
    2377, 7946, 10255, 10256, 10257, 10259, 30000, 32000, 8472, 8501, 8301,
    8302, 8600, 4646, 4647, 4648, 9094, 9411, 16686, 14268, 14250, 4317,
    4318, 5601, 9600, 5044, 24224, 2003, 2004, 8428, 9115, 9116, 9187, 9104,
    9121, 9113, 3100, 9095, 9096, 8429, 10248, 10249, 6783, 6784,

    /* Developer servers and tooling. */
    3001, 3002, 3003, 4200, 5173, 4173, 5002, 8002, 8003, 8004, 8005, 8006,
    8007, 8011, 8012, 8020, 8030, 8040, 8050, 8069, 8070, 8071, 8093, 8099,
    8765, 8889, 8890, 4001, 4567, 9229, 6006, 1313, 4040, 8787, 5555, 19000,
    35729, 9876, 8998, 3030, 3333, 4002, 5500, 6060, 7777, 7878, 9292, 9393,
    9418, 29418, 8153, 8154, 50070, 50075, 8042, 8032, 19888, 18080, 16080,
    8983, 9990, 9993, 4848, 1099, 9060, 9043, 8881,

    /* Network equipment, VPN, management planes. */
    830, 646, 4786, 8291, 8728, 8729, 6789, 8843, 10001, 8444, 10443, 161,
    199, 2601, 2604, 2605, 264, 49, 6514, 902, 903, 5480, 9440, 9392, 8834,
    3780, 1311, 6556, 5666, 10050, 10051, 4949, 16992, 16993, 17988, 17990,
    664, 5988, 5989, 2002, 4433, 4444, 4445, 1443, 7547, 49000, 5431, 2869,
    1900,

    /* Windows and Microsoft server roles beyond the first tiers. */
    1028, 1029, 1030, 1031, 49158, 49159, 49160, 47001, 5040, 7680, 2179,
    9389, 8530, 8531, 1801, 2103, 2105, 2107, 5722, 3343, 2383, 5022, 3387,
    3388, 3390, 1501, 4022, 2701, 6129, 4899, 1494, 2598, 1352,

    /* Files, printing, storage, backup, sync. */
    20, 989, 2121, 3260, 860, 4045, 2048, 892, 32803, 20048, 6881, 6969,
    8384, 22000, 9102, 9103, 10080, 3205, 10202, 6568, 9101, 9220, 9500,
    3689, 1400, 32400, 8096, 8920, 8201,

    /* Media, cameras, consumer devices, home automation. */
    8554, 1935, 37777, 34567, 8899, 1880, 1884, 8266, 6668, 9123, 7100,
    7676, 5228, 9527, 49001, 52869, 37215, 52881, 60001, 5678, 9998, 50001,

    /* Industrial control and building automation. */
    502, 102, 20000, 44818, 1911, 4911, 2404, 1962, 18245, 789, 5007, 2455,
    20547, 1200,

    /* Remote shells, legacy Unix services, and what attackers leave behind. */
    512, 513, 514, 992, 79, 7, 9, 13, 17, 19, 37, 43, 70, 109, 177, 407,
    427, 497, 543, 544, 563, 600, 1024, 2001, 2022, 2200, 22222, 2323,
    31337, 1337, 6666, 1234, 5631, 5632, 3790, 1999, 6002, 6003, 6004, 5902,
    5903, 5904, 5910, 5911, 6005,

    /* Proxies, anonymity, voice, games. */
    8118, 9050, 9051, 3129, 1720, 5038, 2427, 25565, 27015, 3724, 25575,
    28960, 27036, 6112, 6113, 9987, 10011, 30033, 64738,

    /* More web and application ports seen on appliances and panels. */
    591, 2080, 2090, 2480, 3443, 4343, 5080, 5443, 5801, 6080, 7080, 7081,
    7444, 8060, 8061, 8078, 8079, 8094, 8095, 8098, 8101, 8140, 8172, 8280,
    8281, 8333, 8383, 8400, 8585, 8686, 8882, 9002, 9003, 9005, 9081, 9082,
    9191, 9444, 9445, 9800, 9898, 9943, 9944, 10010, 11000, 12000, 14000,
    15000, 16000, 18081, 20443, 44443, 55443, 60000, 65000, 1010, 2030,
    3080,
};

/* UDP, best first.  UDP services answer less often and matter differently,
 * so the head is shorter. */
static const uint16_t top_udp[] = {
    /* Infrastructure every network runs. */
    53, 123, 161, 137, 138, 67, 68, 500, 4500, 1900, 5353, 514, 69, 162,
    111, 2049, 443, 1194, 51820, 1701, 5060, 3478, 520, 1812, 1813, 623, 88,
    464, 389, 5355, 3702, 1434, 177, 427, 631,

    /* Discovery, telemetry, tunnels. */
    10001, 47808, 2055, 6343, 4739, 9995, 9996, 8125, 4789, 8472, 6081,
    1985, 3784, 3785, 33434, 1645, 1646, 5351, 5350, 41641, 853, 3389, 3391,
    2152, 2123, 5246, 5247, 4569, 5004, 5005, 2427, 2727, 1604, 17185,
    11211, 25826, 546, 547, 5683, 5684, 20000, 502, 44818, 2222, 1719, 3074,
    3283, 5632,

    /* Legacy, peer-to-peer, games, voice. */
    7, 9, 13, 17, 19, 37, 135, 1026, 1027, 1028, 6881, 4672, 27015, 27005,
    27016, 27960, 19132, 9987, 3659, 26000, 25565, 64738, 8767, 7777, 49152,
    49153, 49154, 5000, 5001, 10000, 32768, 32769, 1433, 2048, 2302, 3544,
    6000, 8000, 8080, 9000, 18999, 5555,
};

/* Bitmap of the ports already emitted. */
struct seen {
    uint8_t b[65536 / 8];
};

static int take(struct seen *s, uint16_t port, uint16_t *out, int *k)
{
    if (port == 0 || (s->b[port >> 3] & (1u << (port & 7)))) return 0;
    s->b[port >> 3] |= (uint8_t)(1u << (port & 7));
    out[(*k)++] = port;
    return 1;
}

int ps_top_ports(enum ps_proto proto, int n, uint16_t *out)
{
    const uint16_t *head = proto == PS_UDP ? top_udp : top_tcp;
    size_t nhead = proto == PS_UDP ? sizeof top_udp / sizeof *top_udp
                                   : sizeof top_tcp / sizeof *top_tcp;
    struct seen s;
    int k = 0;
    if (!out || n <= 0 || (proto != PS_TCP && proto != PS_UDP)) return 0;
    if (n > 65535) n = 65535;
    memset(&s, 0, sizeof s);
    for (size_t i = 0; i < nhead && k < n; i++)
        take(&s, head[i], out, &k);
    for (unsigned p = 1; p < 1024 && k < n; p++)
        if (ps_service_status((uint16_t)p, proto) == PS_REG_ASSIGNED)
            take(&s, (uint16_t)p, out, &k);
    for (unsigned p = 1024; p < 49152 && k < n; p++)
        if (ps_service_status((uint16_t)p, proto) == PS_REG_ASSIGNED)
            take(&s, (uint16_t)p, out, &k);
    for (unsigned p = 1; p <= 65535 && k < n; p++)
        take(&s, (uint16_t)p, out, &k);
    return k;
}
