/* lwIP's options for OptiOS's network stack (services/network/stack.c; docs/network.md).
 *
 * NO_SYS with the raw API: no threads, no sockets; the kernel runs the stack as a handler,
 * one event (a frame, a timer, a handler's send) per run. Every pool below is a fixed part
 * of the stack's own wasm memory, so the stack's memory is bounded by these numbers. */
#ifndef OPTIOS_LWIPOPTS_H
#define OPTIOS_LWIPOPTS_H

#define NO_SYS                      1
#define LWIP_SOCKET                 0
#define LWIP_NETCONN                0
#define LWIP_RAW                    1   /* the ping the shell asks for (stack.c) */
#define SYS_LIGHTWEIGHT_PROT        0
#define LWIP_IPV4                   1
#define LWIP_IPV6                   0
#define LWIP_ARP                    1
#define LWIP_ETHERNET               1
#define LWIP_ICMP                   1
#define LWIP_UDP                    1
#define LWIP_TCP                    1
#define LWIP_DHCP                   1
#define LWIP_DNS                    1
#define LWIP_IGMP                   0
#define LWIP_AUTOIP                 0
#define LWIP_NETIF_HOSTNAME         1
#define LWIP_NETIF_STATUS_CALLBACK  1
#define LWIP_HAVE_LOOPIF            0
#define LWIP_STATS                  1
#define LWIP_STATS_DISPLAY          0
#define MIB2_STATS                  1   /* mib2.ipreasmfails: reassemblies given up, which ip_frag.drop does not count */

/* Memory: a heap for outgoing data and pools for everything else; all in the stack's memory. */
#define MEM_ALIGNMENT               4
#define MEM_SIZE                    (96 * 1024)
#define MEMP_NUM_PBUF               32
#define MEMP_NUM_UDP_PCB            16
#define MEMP_NUM_RAW_PCB            1
#define MEMP_NUM_TCP_PCB            32
#define MEMP_NUM_TCP_PCB_LISTEN     16
#define MEMP_NUM_TCP_SEG            64
#define MEMP_NUM_REASSDATA          4
#define MEMP_NUM_FRAG_PBUF          16
#define MEMP_NUM_ARP_QUEUE          16
#define PBUF_POOL_SIZE              48
#define PBUF_POOL_BUFSIZE           1536
#define IP_REASSEMBLY               1
#define IP_REASS_MAX_PBUFS          16
#define IP_FRAG                     1
#define ARP_TABLE_SIZE              16

/* TCP: full-size segments, a window of four. */
#define TCP_MSS                     1460
#define TCP_WND                     (4 * TCP_MSS)
#define TCP_SND_BUF                 (8 * TCP_MSS)
#define TCP_SND_QUEUELEN            (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_LISTEN_BACKLOG          1
#define TCP_DEFAULT_LISTEN_BACKLOG  8
#define LWIP_TCP_KEEPALIVE          0

#define DNS_TABLE_SIZE              4
#define DNS_MAX_SERVERS             1
#define DHCP_DOES_ARP_CHECK         0
#define LWIP_DHCP_DOES_ACD_CHECK    0

/* Checksums: computed and checked in software (the NICs are not asked to). */
#define CHECKSUM_GEN_IP             1
#define CHECKSUM_GEN_UDP            1
#define CHECKSUM_GEN_TCP            1
#define CHECKSUM_GEN_ICMP           1
#define CHECKSUM_CHECK_IP           1
#define CHECKSUM_CHECK_UDP          1
#define CHECKSUM_CHECK_TCP          1
#define CHECKSUM_CHECK_ICMP         1

/* Randomness (TCP's initial sequence numbers, DHCP's transaction ids) from the kernel. */
#define LWIP_RAND()                 stack_random()
unsigned int stack_random(void);

#endif
