/* OptiOS's network stack: lwIP 2.1.3 (raw API, NO_SYS) as a handler module of its own.
 *
 * It is compiled like the rest of the system's modules, C → wasm32 (clang) → C (wasm2c) →
 * gcc, so the stack lives in its own wasm instance with its own bounded memory, reaches the
 * kernel only through the gate (calls needing the capability net.stack), and a fault in it
 * traps that instance, never the kernel. The kernel runs it as the handler "net", one event
 * per run; unlike other handlers' its runs are not transactions (a snapshot per frame cost
 * more than lwIP's own work), so a trap makes the kernel reset it and it starts afresh on its
 * next event (docs/network.md).
 *
 *   EVENT_BOOT         read the configuration (net_config), bring the interface up, start
 *                      DHCP or set the static address, listen on the declared ports
 *   EVENT_FRAME        one Ethernet frame from the NIC, into lwIP
 *   EVENT_TIMER        lwIP's timeouts (ARP, DHCP, TCP retransmissions) that are due
 *   EVENT_NET_REQUEST  a handler's committed send: a UDP datagram, TCP data, a close
 *
 * After each run the stack reports its address and counters and when it next needs a timer
 * (net_state); outgoing frames go to the NIC through net_transmit, and what arrives for a
 * handler (a datagram, a connection opened, data, a close) through net_deliver.
 */
#include <string.h>
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/etharp.h"
#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/udp.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwip/raw.h"
#include "lwip/icmp.h"
#include "lwip/inet_chksum.h"
#include "lwip/prot/icmp.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/stats.h"
#include "netif/ethernet.h"
#include "optios.h"

#define EXPORT(name) __attribute__((export_name(name)))

/* The version the kernel reports; a new one starts the stack afresh. */
OPTIOS_VERSION(u"lwip-2.1.3/2");
__attribute__((used)) static const void* keep_version = version;

static struct netif interface;
/* What net_config writes: the record, then the hostname and the ports. */
static struct {
  NetConfig record;
  char hostname[NET_HOSTNAME_MAX_BYTES];
  uint16_t udpPorts[NET_PORTS_MAX];
  uint16_t tcpPorts[NET_PORTS_MAX];
} configuration;
#define config configuration.record
static char hostname[NET_HOSTNAME_MAX_BYTES + 1];
/* The event's payload: a frame, or a request header and its data. */
static uint8_t payload[NET_PAYLOAD_MAX_BYTES];
static int interface_up;
/* Name lookups under way (tcp_open), for the idle rule (quiet(), below). */
static int lookups_pending;

/* A line of text built up in place: the stack's log lines (the helpers are below). */
static char text[160];
static size_t text_used;
static void text_add(const char* part);
static void text_number(uint32_t value);
static void text_address(const ip4_addr_t* address);

/* ------------------------------------------------------------------ the kernel's side */

unsigned int stack_random(void) { return (unsigned int)optios_random(); }

u32_t sys_now(void) { return (u32_t)(optios_time() / 1000000u); }

static void say(uint32_t level, const char* text) { optios_log(level, (uint32_t)(uintptr_t)text, (uint32_t)strlen(text)); }

/* An lwIP assertion: logged, then the run traps and is rolled back. */
void stack_assert_failed(const char* message, const char* file, int line) {
  char text[160];
  size_t used = 0;
  const char* parts[3] = {"lwIP assertion failed: ", message, " ("};
  for (int i = 0; i < 3; i++)
    for (const char* c = parts[i]; *c && used < sizeof text - 24; c++) text[used++] = *c;
  for (const char* c = file; *c && used < sizeof text - 12; c++) text[used++] = *c;
  text[used++] = ':';
  char digits[12];
  int count = 0;
  for (unsigned value = (unsigned)line; count == 0 || value > 0; value /= 10) digits[count++] = (char)('0' + value % 10);
  while (count > 0 && used < sizeof text - 2) text[used++] = digits[--count];
  text[used++] = ')';
  optios_log(LOG_ERROR, (uint32_t)(uintptr_t)text, (uint32_t)used);
  __builtin_trap();
}

/* ICMP errors (destination unreachable, time exceeded, parameter problem) leave at most
 * ICMP_ERRORS_PER_SECOND a second after a burst of ICMP_ERRORS_BURST, all destinations
 * together: a flood to closed ports or of never-completed fragments must not make the machine
 * send a packet for each one it gets. Linux limits the same messages (icmp_msgs_per_sec 1000,
 * burst 50, and 1 a second to each destination); lwIP has no limit of its own, so the frames
 * are checked on their way to the card. Echo replies are not limited, as on Linux. */
#define ICMP_ERRORS_PER_SECOND 100
#define ICMP_ERRORS_BURST 10
static uint32_t icmp_error_budget = ICMP_ERRORS_BURST * 1000; /* in thousandths of a message */
static uint32_t icmp_error_budget_time; /* sys_now() of its last top-up */
static uint32_t icmp_errors_sent, icmp_errors_limited;
static uint32_t half_open_dropped; /* by make_room_for_syn */

/* Where the payload of the IPv4 packet in Ethernet `frame` (`length` bytes) starts, when it is
 * of `protocol`, not a fragment, and has at least `bytes` of payload; 0 otherwise. Only for a
 * first look (ICMP errors on the way out, SYNs on the way in): lwIP checks the packet itself. */
static uint16_t ipv4_payload(const uint8_t* frame, uint16_t length, uint8_t protocol, uint16_t bytes) {
  if (length < 14 + 20 || frame[12] != 0x08 || frame[13] != 0x00 || frame[14 + 9] != protocol) return 0;
  if (((frame[14 + 6] << 8 | frame[14 + 7]) & 0x3fff) != 0) return 0; /* more fragments, or an offset */
  uint16_t offset = (uint16_t)(14 + (frame[14] & 0x0f) * 4);
  return length >= offset + bytes ? offset : 0;
}

/* Whether `frame` (an Ethernet frame, `length` bytes) is an IPv4 ICMP error message. */
static int icmp_error(const uint8_t* frame, uint16_t length) {
  uint16_t offset = ipv4_payload(frame, length, IP_PROTO_ICMP, 1);
  if (offset == 0) return 0;
  uint8_t type = frame[offset];
  return type == ICMP_DUR || type == ICMP_TE || type == ICMP_PP;
}

/* Whether one more ICMP error may leave now; counts it as sent or as limited. */
static int icmp_error_allowed(void) {
  uint32_t now = sys_now();
  uint64_t budget = icmp_error_budget + (uint64_t)(now - icmp_error_budget_time) * ICMP_ERRORS_PER_SECOND;
  icmp_error_budget_time = now;
  icmp_error_budget = budget > ICMP_ERRORS_BURST * 1000 ? ICMP_ERRORS_BURST * 1000 : (uint32_t)budget;
  if (icmp_error_budget < 1000) {
    icmp_errors_limited++;
    return 0;
  }
  icmp_error_budget -= 1000;
  icmp_errors_sent++;
  return 1;
}

static err_t transmit(struct netif* netif, struct pbuf* frame) {
  static uint8_t buffer[NET_PAYLOAD_MAX_BYTES];
  if (frame->tot_len > sizeof buffer) return ERR_BUF;
  uint16_t length = pbuf_copy_partial(frame, buffer, frame->tot_len, 0);
  if (icmp_error(buffer, length) && !icmp_error_allowed()) return ERR_OK; /* dropped as if sent: nothing to retry */
  int64_t result = optios_net_transmit((uint32_t)(uintptr_t)buffer, length);
  LINK_STATS_INC(link.xmit);
  return result < 0 ? ERR_IF : ERR_OK;
}

/* Hands what arrived for a handler to the kernel; false when its queue is full (try later). */
static int deliver(uint32_t kind, const ip_addr_t* address, uint16_t port, uint16_t local_port, uint32_t connection,
                   struct pbuf* data) {
  static NetDelivery header;
  static uint8_t bytes[NET_PAYLOAD_MAX_BYTES];
  header.kind = kind;
  header.address = address ? lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(address))) : 0;
  header.port = port;
  header.localPort = local_port;
  header.connection = connection;
  header.flags = 0;
  header.reserved = 0;
  uint16_t length = data ? pbuf_copy_partial(data, bytes, data->tot_len > sizeof bytes ? sizeof bytes : data->tot_len, 0) : 0;
  return optios_net_deliver((uint32_t)(uintptr_t)&header, (uint32_t)(uintptr_t)bytes, length) >= 0;
}

/* ------------------------------------------------------------------ UDP */

static void udp_received(void* argument, struct udp_pcb* pcb, struct pbuf* datagram, const ip_addr_t* address, u16_t port) {
  /* Too long for a handler's event, or its queue is full: dropped and counted, as UDP may. */
  if (datagram->tot_len > NET_DATA_MAX_BYTES || !deliver(EVENT_UDP, address, port, pcb->local_port, 0, datagram)) UDP_STATS_INC(udp.drop);
  pbuf_free(datagram);
}

/* The pcbs listening on the declared UDP ports: a handler's datagrams from such a port go out through it. */
static struct udp_pcb* listening_udp[NET_PORTS_MAX];

static struct udp_pcb* udp_listener(uint16_t port) {
  for (int i = 0; i < NET_PORTS_MAX; i++)
    if (listening_udp[i] != NULL && listening_udp[i]->local_port == port) return listening_udp[i];
  return NULL;
}

static void udp_listen_on(uint16_t port) {
  struct udp_pcb* pcb = udp_new();
  if (pcb == NULL || udp_bind(pcb, IP_ADDR_ANY, port) != ERR_OK) {
    say(LOG_ERROR, "net: cannot listen on a UDP port (out of UDP pcbs, or bound twice)");
    if (pcb) udp_remove(pcb);
    return;
  }
  udp_recv(pcb, udp_received, NULL);
  for (int i = 0; i < NET_PORTS_MAX; i++)
    if (listening_udp[i] == NULL) {
      listening_udp[i] = pcb;
      break;
    }
}

/* A handler's datagram: from one of the ports handlers listen on (through its pcb), or from a free port (net.send). */
static void udp_send_request(const NetRequest* request, const uint8_t* data, uint16_t length) {
  struct pbuf* datagram = pbuf_alloc(PBUF_TRANSPORT, length, PBUF_RAM);
  if (datagram == NULL) return;
  memcpy(datagram->payload, data, length);
  ip_addr_t to;
  ip_addr_set_ip4_u32(&to, lwip_htonl(request->address));
  struct udp_pcb* listener = request->localPort != 0 ? udp_listener(request->localPort) : NULL;
  if (listener != NULL) udp_sendto(listener, datagram, &to, request->port);
  else {
    struct udp_pcb* pcb = udp_new();
    if (pcb != NULL) {
      if (udp_bind(pcb, IP_ADDR_ANY, request->localPort) == ERR_OK || udp_bind(pcb, IP_ADDR_ANY, 0) == ERR_OK) udp_sendto(pcb, datagram, &to, request->port);
      udp_remove(pcb);
    }
  }
  pbuf_free(datagram);
}

/* ------------------------------------------------------------------ TCP */

/* Connections are numbered 1, 2, …; the number is the handle the handler writes to. */
#define CONNECTIONS_MAX MEMP_NUM_TCP_PCB
static struct connection {
  struct tcp_pcb* pcb;
  uint32_t number;
  uint16_t local_port;
  /* An outgoing connection's port while its host's name is being resolved. */
  uint16_t remote_port;
  int closing;
} connections[CONNECTIONS_MAX];
static uint32_t next_connection = 1;

static struct connection* connection_numbered(uint32_t number) {
  for (int i = 0; i < CONNECTIONS_MAX; i++)
    if (connections[i].pcb != NULL && connections[i].number == number) return &connections[i];
  return NULL;
}

/* Lets go of a connection's pcb, closed (a FIN; a reset if lwIP cannot) or reset, and frees its slot. */
static void release(struct connection* connection, int reset) {
  struct tcp_pcb* pcb = connection->pcb;
  tcp_arg(pcb, NULL);
  tcp_recv(pcb, NULL);
  tcp_err(pcb, NULL);
  if (reset || tcp_close(pcb) != ERR_OK) tcp_abort(pcb);
  memset(connection, 0, sizeof *connection);
}

static void forget(struct connection* connection) {
  memset(connection, 0, sizeof *connection);
}

static void tcp_failed(void* argument, err_t error) {
  struct connection* connection = argument;
  /* lwIP has freed the pcb already. */
  deliver(EVENT_TCP_CLOSED, NULL, 0, connection->local_port, connection->number, NULL);
  forget(connection);
}

static err_t tcp_received(void* argument, struct tcp_pcb* pcb, struct pbuf* data, err_t error) {
  struct connection* connection = argument;
  if (data == NULL) { /* the peer closed its side */
    deliver(EVENT_TCP_CLOSED, &pcb->remote_ip, pcb->remote_port, connection->local_port, connection->number, NULL);
    release(connection, 0);
    return ERR_OK;
  }
  /* Data goes to the handler a queue slot at a time; a full queue makes lwIP keep it and offer it again. */
  if (!deliver(EVENT_TCP_DATA, &pcb->remote_ip, pcb->remote_port, connection->local_port, connection->number, data)) return ERR_MEM;
  tcp_recved(pcb, data->tot_len);
  pbuf_free(data);
  return ERR_OK;
}

static err_t connection_accepted(void* argument, struct tcp_pcb* pcb, err_t error) {
  if (error != ERR_OK || pcb == NULL) return ERR_VAL;
  struct connection* connection = NULL;
  for (int i = 0; i < CONNECTIONS_MAX && connection == NULL; i++)
    if (connections[i].pcb == NULL) connection = &connections[i];
  if (connection == NULL) {
    tcp_abort(pcb);
    return ERR_ABRT;
  }
  connection->pcb = pcb;
  connection->number = next_connection++;
  connection->local_port = pcb->local_port;
  if (!deliver(EVENT_TCP_OPENED, &pcb->remote_ip, pcb->remote_port, pcb->local_port, connection->number, NULL)) {
    forget(connection);
    tcp_abort(pcb);
    return ERR_ABRT;
  }
  tcp_arg(pcb, connection);
  tcp_recv(pcb, tcp_received);
  tcp_err(pcb, tcp_failed);
  tcp_nagle_disable(pcb);
  return ERR_OK;
}

static void tcp_listen_on(uint16_t port) {
  struct tcp_pcb* pcb = tcp_new();
  if (pcb == NULL || tcp_bind(pcb, IP_ADDR_ANY, port) != ERR_OK) {
    say(LOG_ERROR, "net: cannot listen on a TCP port (out of TCP pcbs, or bound twice)");
    if (pcb) tcp_close(pcb);
    return;
  }
  struct tcp_pcb* listening = tcp_listen_with_backlog(pcb, TCP_DEFAULT_LISTEN_BACKLOG);
  if (listening == NULL) {
    tcp_close(pcb);
    return;
  }
  tcp_accept(listening, connection_accepted);
}

/* ---- outgoing connections (tcp_connect): numbered by the kernel, resolved by DNS when the host is a name */

static struct connection* free_connection(void) {
  for (int i = 0; i < CONNECTIONS_MAX; i++)
    if (connections[i].pcb == NULL) return &connections[i];
  return NULL;
}

/* The connection could not be made: the handler hears EVENT_TCP_CLOSED. */
static void connect_failed(struct connection* connection, const char* why) {
  say(LOG_WARNING, why);
  deliver(EVENT_TCP_CLOSED, NULL, connection->remote_port, 0, connection->number, NULL);
  if (connection->pcb) release(connection, 1);
  else forget(connection);
}

static err_t connected(void* argument, struct tcp_pcb* pcb, err_t error) {
  struct connection* connection = argument;
  connection->local_port = pcb->local_port;
  tcp_nagle_disable(pcb);
  deliver(EVENT_TCP_OPENED, &pcb->remote_ip, pcb->remote_port, pcb->local_port, connection->number, NULL);
  return ERR_OK;
}

static void connect_to(struct connection* connection, const ip_addr_t* address) {
  if (tcp_connect(connection->pcb, address, connection->remote_port, connected) != ERR_OK)
    connect_failed(connection, "net: a TCP connection could not be started (no route, or out of memory)");
}

static void host_found(const char* name, const ip_addr_t* address, void* argument) {
  struct connection* connection = argument;
  if (lookups_pending > 0) lookups_pending--;
  if (connection->pcb == NULL) return; /* gone meanwhile */
  if (address == NULL) {
    text_used = 0;
    text_add("net: cannot resolve '");
    text_add(name);
    text_add("' (no answer from DNS, or no such name); connection not made");
    optios_log(LOG_WARNING, (uint32_t)(uintptr_t)text, (uint32_t)text_used);
    connect_failed(connection, "net: a connection's host has no address");
    return;
  }
  connect_to(connection, address);
}

static void tcp_open(const NetRequest* request, const uint8_t* data, uint16_t length) {
  static char host[NET_HOST_MAX_BYTES + 1];
  struct connection* connection = free_connection();
  if (connection == NULL) {
    static NetDelivery refused;
    refused.kind = EVENT_TCP_CLOSED;
    refused.connection = request->connection;
    optios_net_deliver((uint32_t)(uintptr_t)&refused, 0, 0);
    say(LOG_WARNING, "net: every TCP connection is in use; tcp_connect refused");
    return;
  }
  memcpy(host, data, length > NET_HOST_MAX_BYTES ? NET_HOST_MAX_BYTES : length);
  host[length > NET_HOST_MAX_BYTES ? NET_HOST_MAX_BYTES : length] = 0;
  connection->number = request->connection;
  connection->remote_port = request->port;
  connection->pcb = tcp_new();
  if (connection->pcb == NULL) {
    connect_failed(connection, "net: out of TCP pcbs; tcp_connect refused");
    return;
  }
  tcp_arg(connection->pcb, connection);
  tcp_recv(connection->pcb, tcp_received);
  tcp_err(connection->pcb, tcp_failed);
  ip_addr_t address;
  err_t found = dns_gethostbyname(host, &address, host_found, connection);
  if (found == ERR_OK) connect_to(connection, &address); /* an address, or a name already known */
  else {
    lookups_pending++; /* host_found takes it back, now (a name DNS cannot take) or when the answer comes */
    if (found != ERR_INPROGRESS) host_found(host, NULL, connection);
  }
}

static void tcp_request(const NetRequest* request, const uint8_t* data, uint16_t length) {
  struct connection* connection = connection_numbered(request->connection);
  if (connection == NULL) return; /* closed meanwhile: what was sent to it is lost, as on any system */
  if (request->kind == NET_TCP_ABORT) { /* its handler's run failed: the peer gets a reset */
    release(connection, 1);
    return;
  }
  if (length > 0) {
    if (tcp_write(connection->pcb, data, length, TCP_WRITE_FLAG_COPY) != ERR_OK) {
      say(LOG_WARNING, "net: a TCP connection's send buffer is full; data dropped and the connection reset");
      tcp_abort(connection->pcb);
      forget(connection);
      return;
    }
    tcp_output(connection->pcb);
  }
  if (request->kind == NET_TCP_CLOSE) {
    static NetDelivery gone;
    gone.kind = EVENT_TCP_CLOSED;
    gone.connection = connection->number;
    gone.flags = NET_DELIVERY_FORGET;
    optios_net_deliver((uint32_t)(uintptr_t)&gone, 0, 0);
    release(connection, 0);
  }
}

/* ------------------------------------------------------------------ ping (the shell's) */


#define PING_ID 0x4f53 /* "OS" */
#define PING_DATA_BYTES 32
#define PING_TIMEOUT_MILLISECONDS 1000

static struct raw_pcb* ping_pcb;
static ip_addr_t ping_target;
static uint16_t ping_sequence, ping_left;
static uint64_t ping_sent_nanoseconds;
static int ping_waiting;

static void ping_send(void* argument);

/* "net: 10.0.2.2 answered ping 1 in 0.42 ms", or "net: no answer from 10.0.2.2 to ping 1". */
static void ping_say(const char* before, const char* after, uint64_t nanoseconds) {
  text_used = 0;
  text_add(before);
  text_address(ip_2_ip4(&ping_target));
  text_add(after);
  text_number(ping_sequence);
  if (nanoseconds != 0) {
    text_add(" in ");
    text_number((uint32_t)(nanoseconds / 1000000));
    text_add(".");
    uint32_t hundredths = (uint32_t)(nanoseconds / 10000 % 100);
    if (hundredths < 10) text_add("0");
    text_number(hundredths);
    text_add(" ms");
  }
  optios_log(LOG_INFO, (uint32_t)(uintptr_t)text, (uint32_t)text_used);
}

static void ping_next(void) {
  if (ping_left > 0) sys_timeout(PING_TIMEOUT_MILLISECONDS, ping_send, NULL);
}

static void ping_timed_out(void* argument) {
  if (!ping_waiting) return;
  ping_waiting = 0;
  ping_say("net: no answer from ", " to ping ", 0);
  ping_next();
}

static u8_t ping_received(void* argument, struct raw_pcb* pcb, struct pbuf* packet, const ip_addr_t* from) {
  /* Only an echo reply to our ping is ours; anything else goes on to lwIP's own ICMP. */
  struct icmp_echo_hdr echo;
  uint16_t header = IPH_HL_BYTES((struct ip_hdr*)packet->payload);
  if (!ping_waiting || packet->tot_len < header + sizeof echo || pbuf_copy_partial(packet, &echo, sizeof echo, header) != sizeof echo ||
      echo.type != ICMP_ER || echo.id != lwip_htons(PING_ID) || echo.seqno != lwip_htons(ping_sequence)) return 0;
  ping_waiting = 0;
  sys_untimeout(ping_timed_out, NULL);
  ping_say("net: ", " answered ping ", optios_time() - ping_sent_nanoseconds + 1);
  pbuf_free(packet);
  ping_next();
  return 1;
}

static void ping_send(void* argument) {
  if (ping_left == 0) return;
  ping_left--;
  ping_sequence++;
  struct pbuf* packet = pbuf_alloc(PBUF_IP, sizeof(struct icmp_echo_hdr) + PING_DATA_BYTES, PBUF_RAM);
  if (packet == NULL) return;
  struct icmp_echo_hdr* echo = packet->payload;
  ICMPH_TYPE_SET(echo, ICMP_ECHO);
  ICMPH_CODE_SET(echo, 0);
  echo->id = lwip_htons(PING_ID);
  echo->seqno = lwip_htons(ping_sequence);
  echo->chksum = 0;
  memset((uint8_t*)echo + sizeof *echo, 'o', PING_DATA_BYTES);
  echo->chksum = inet_chksum(echo, packet->len);
  ping_waiting = 1;
  ping_sent_nanoseconds = optios_time();
  raw_sendto(ping_pcb, packet, &ping_target);
  pbuf_free(packet);
  sys_timeout(PING_TIMEOUT_MILLISECONDS, ping_timed_out, NULL);
}

static void ping_request(const NetRequest* request) {
  if (ping_pcb == NULL) {
    ping_pcb = raw_new(IP_PROTO_ICMP);
    if (ping_pcb == NULL) return;
    raw_recv(ping_pcb, ping_received, NULL);
    raw_bind(ping_pcb, IP_ADDR_ANY);
  }
  sys_untimeout(ping_send, NULL);
  sys_untimeout(ping_timed_out, NULL);
  ip_addr_set_ip4_u32(&ping_target, lwip_htonl(request->address));
  ping_left = request->port;
  ping_sequence = 0; /* each request counts from 1 */
  ping_waiting = 0;
  ping_send(NULL);
}

/* ------------------------------------------------------------------ the interface */

static err_t interface_initialize(struct netif* netif) {
  netif->name[0] = 'e';
  netif->name[1] = 'n';
  netif->output = etharp_output;
  netif->linkoutput = transmit;
  netif->mtu = 1500;
  netif->hwaddr_len = ETH_HWADDR_LEN;
  netif->hwaddr[0] = config.mac0; netif->hwaddr[1] = config.mac1; netif->hwaddr[2] = config.mac2;
  netif->hwaddr[3] = config.mac3; netif->hwaddr[4] = config.mac4; netif->hwaddr[5] = config.mac5;
  netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
  return ERR_OK;
}

static uint32_t dhcp_state;

/* The line helpers (text, text_used above). */

static void text_add(const char* part) {
  while (*part && text_used < sizeof text) text[text_used++] = *part++;
}

static void text_number(uint32_t value) {
  char digits[10];
  int count = 0;
  do digits[count++] = (char)('0' + value % 10); while ((value /= 10) > 0);
  while (count > 0 && text_used < sizeof text) text[text_used++] = digits[--count];
}

static void text_address(const ip4_addr_t* address) {
  uint32_t value = lwip_ntohl(ip4_addr_get_u32(address));
  for (int shift = 24; shift >= 0; shift -= 8) {
    text_number((value >> shift) & 0xff);
    if (shift > 0) text_add(".");
  }
}

/* "net: eth0: 10.0.2.15/24 (DHCP), gateway 10.0.2.2": said once an address is in use. */
static void say_address(const char* how) {
  text_used = 0;
  text_add("net: eth0: ");
  text_address(netif_ip4_addr(&interface));
  text_add("/");
  text_number((uint32_t)__builtin_popcount(ip4_addr_get_u32(netif_ip4_netmask(&interface))));
  text_add(how);
  if (!ip4_addr_isany(netif_ip4_gw(&interface))) {
    text_add(", gateway ");
    text_address(netif_ip4_gw(&interface));
  }
  optios_log(LOG_INFO, (uint32_t)(uintptr_t)text, (uint32_t)text_used);
}

static void address_changed(struct netif* netif) {
  if (config.flags & NET_CONFIG_DHCP && dhcp_supplied_address(netif) && dhcp_state != NET_DHCP_BOUND) {
    dhcp_state = NET_DHCP_BOUND;
    say_address(" (DHCP)");
  }
}

static void static_address(void) {
  ip4_addr_t address, netmask, gateway;
  ip4_addr_set_u32(&address, lwip_htonl(config.address));
  ip4_addr_set_u32(&netmask, config.prefix == 0 ? 0 : lwip_htonl(0xffffffffu << (32 - config.prefix)));
  ip4_addr_set_u32(&gateway, lwip_htonl(config.gateway));
  netif_set_addr(&interface, &address, &netmask, &gateway);
}

static void start(void) {
  int64_t got = optios_net_config((uint32_t)(uintptr_t)&configuration, sizeof configuration);
  if (got < (int64_t)sizeof configuration) {
    say(LOG_ERROR, "net: the kernel gave no network configuration; the stack stays down");
    return;
  }
  lwip_init();
  memcpy(hostname, configuration.hostname, config.hostnameBytes > NET_HOSTNAME_MAX_BYTES ? NET_HOSTNAME_MAX_BYTES : config.hostnameBytes);
  if (netif_add(&interface, IP4_ADDR_ANY4, IP4_ADDR_ANY4, IP4_ADDR_ANY4, NULL, interface_initialize, ethernet_input) == NULL) return;
  netif_set_hostname(&interface, hostname);
  netif_set_default(&interface);
  netif_set_status_callback(&interface, address_changed);
  netif_set_up(&interface);
  if (config.dns != 0) {
    ip_addr_t server;
    ip_addr_set_ip4_u32(&server, lwip_htonl(config.dns));
    dns_setserver(0, &server);
  }
  if (config.flags & NET_CONFIG_DHCP) {
    dhcp_state = NET_DHCP_REQUESTING;
    dhcp_start(&interface);
  } else {
    dhcp_state = NET_DHCP_STATIC;
    static_address();
    say_address(" (static)");
  }
  for (uint32_t i = 0; i < config.udpPortCount && i < NET_PORTS_MAX; i++) udp_listen_on(configuration.udpPorts[i]);
  for (uint32_t i = 0; i < config.tcpPortCount && i < NET_PORTS_MAX; i++) tcp_listen_on(configuration.tcpPorts[i]);
  interface_up = 1;
}

/* DHCP gave nothing within the configured time: the static address if there is one. */
static void dhcp_deadline(void) {
  if (dhcp_state != NET_DHCP_REQUESTING || config.dhcpTimeoutMilliseconds == 0) return;
  if (sys_now() < config.dhcpTimeoutMilliseconds) return;
  if (config.address != 0) {
    dhcp_stop(&interface);
    static_address();
    dhcp_state = NET_DHCP_FALLBACK;
    say(LOG_WARNING, "net: no DHCP lease came; using the static address from [network]");
    say_address(" (static)");
  } else {
    dhcp_state = NET_DHCP_WAITING;
    say(LOG_WARNING, "net: no DHCP lease yet; still asking");
  }
}

/* ------------------------------------------------------------------ events */

/*
 * Idle: lwIP's cyclic timers (DHCP's fine timer every 500 ms, ARP and IP reassembly every
 * second) would wake the stack twice a second forever. When nothing has happened for
 * QUIET_MILLISECONDS — no frame, no request, no TCP connection open or closing (TIME-WAIT aside), the address
 * settled, no ping or name lookup under way — the stack asks to be woken only every
 * IDLE_WAKE_MILLISECONDS: lwIP runs an overdue cyclic timer once, late, and carries on (DHCP's
 * renewals count in its 60 s coarse ticks; ARP entries age more slowly). A frame or a request
 * wakes it at once, as always.
 */
#define QUIET_MILLISECONDS 5000
#define IDLE_WAKE_MILLISECONDS 30000
static uint32_t last_activity;

static int quiet(void) {
  /* Connections in TIME-WAIT do not count: the slow timer only ages them, and a late one merely keeps
     them longer (lwIP reuses the oldest when it needs a pcb). */
  return sys_now() - last_activity >= QUIET_MILLISECONDS && tcp_active_pcbs == NULL &&
         (dhcp_state == NET_DHCP_BOUND || dhcp_state == NET_DHCP_STATIC || dhcp_state == NET_DHCP_FALLBACK) &&
         ping_left == 0 && !ping_waiting && lookups_pending == 0;
}

static void report(void) {
  static NetState state;
  state.address = lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(&interface)));
  state.netmask = lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(&interface)));
  state.gateway = lwip_ntohl(ip4_addr_get_u32(netif_ip4_gw(&interface)));
  const ip_addr_t* dns = dns_getserver(0);
  state.dns = dns ? lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(dns))) : 0;
  state.dhcp = dhcp_state;
  uint32_t sleep = sys_timeouts_sleeptime();
  if (quiet() && sleep < IDLE_WAKE_MILLISECONDS) sleep = IDLE_WAKE_MILLISECONDS;
  if (dhcp_state == NET_DHCP_REQUESTING && config.dhcpTimeoutMilliseconds > sys_now()) {
    uint32_t until = config.dhcpTimeoutMilliseconds - sys_now();
    if (until < sleep) sleep = until;
  }
  state.wakeMilliseconds = sleep;
  state.ipReceived = lwip_stats.ip.recv;
  state.ipDropped = lwip_stats.ip.drop;
  state.ipChecksum = lwip_stats.ip.chkerr;
  state.ipMalformed = lwip_stats.ip.lenerr + lwip_stats.ip.err + lwip_stats.ip.proterr + lwip_stats.ip.opterr;
  state.fragmentsDropped = lwip_stats.ip_frag.drop;
  state.fragmentsReceived = lwip_stats.ip_frag.recv;
  state.reassembliesFailed = lwip_stats.mib2.ipreasmfails;
  state.udpReceived = lwip_stats.udp.recv;
  state.udpChecksum = lwip_stats.udp.chkerr;
  state.udpMalformed = lwip_stats.udp.lenerr + lwip_stats.udp.err;
  state.udpRefused = lwip_stats.udp.proterr;
  state.udpDropped = lwip_stats.udp.drop;
  state.tcpReceived = lwip_stats.tcp.recv;
  state.tcpChecksum = lwip_stats.tcp.chkerr;
  state.tcpMalformed = lwip_stats.tcp.lenerr + lwip_stats.tcp.err;
  state.tcpRefused = lwip_stats.tcp.proterr;
  state.tcpDropped = lwip_stats.tcp.drop;
  state.icmpEchoes = lwip_stats.icmp.xmit - icmp_errors_sent - icmp_errors_limited;
  state.icmpErrorsSent = icmp_errors_sent;
  state.icmpErrorsLimited = icmp_errors_limited;
  state.tcpHalfOpenDropped = half_open_dropped;
  state.tcpNoConnection = lwip_stats.tcp.memerr;
  state.arpDropped = lwip_stats.etharp.drop;
  state.linkDropped = lwip_stats.link.drop;
  optios_net_state((uint32_t)(uintptr_t)&state, sizeof state);
}

/* A SYN flood must not shut a port for as long as lwIP keeps a half-open connection (20 s,
 * TCP_SYN_RCVD_TIMEOUT, not an option): a listener's backlog (TCP_DEFAULT_LISTEN_BACKLOG) full of
 * connections whose forged peers never answer refused every new SYN, a real client's too. So
 * when a SYN comes for a listener whose backlog is full, the oldest of its half-open connections
 * is dropped first, without a reset (its peer most likely does not exist): a SYN cache's
 * eviction. A real client completes its handshake within one round trip, so it is served unless
 * the flood sends a backlog's worth of SYNs within that round trip. Linux answers floods with
 * SYN cookies instead, which lwIP does not have. */
static void make_room_for_syn(const uint8_t* frame, uint16_t length) {
  uint16_t offset = ipv4_payload(frame, length, IP_PROTO_TCP, 20);
  if (offset == 0) return;
  uint32_t destination;
  memcpy(&destination, frame + 14 + 16, 4);
  if (destination != ip4_addr_get_u32(netif_ip4_addr(&interface))) return;
  const uint8_t* segment = frame + offset;
  if ((segment[13] & (TCP_SYN | TCP_ACK)) != TCP_SYN) return;
  uint16_t port = (uint16_t)((segment[2] << 8) | segment[3]);
  struct tcp_pcb_listen* listener = tcp_listen_pcbs.listen_pcbs;
  while (listener != NULL && listener->local_port != port) listener = listener->next;
  if (listener == NULL || listener->accepts_pending < listener->backlog) return;
  struct tcp_pcb* oldest = NULL;
  for (struct tcp_pcb* pcb = tcp_active_pcbs; pcb != NULL; pcb = pcb->next) {
    /* The list is newest first: the last of the longest waiting is the oldest. */
    if (pcb->state == SYN_RCVD && pcb->listener == listener && (oldest == NULL || tcp_ticks - pcb->tmr >= tcp_ticks - oldest->tmr)) oldest = pcb;
  }
  if (oldest == NULL) return;
  tcp_abandon(oldest, 0);
  half_open_dropped++;
}

static void frame_arrived(uint16_t length) {
  make_room_for_syn(payload, length);
  struct pbuf* frame = pbuf_alloc(PBUF_RAW, length, PBUF_POOL);
  if (frame == NULL) {
    LINK_STATS_INC(link.memerr);
    LINK_STATS_INC(link.drop);
    return;
  }
  pbuf_take(frame, payload, length);
  LINK_STATS_INC(link.recv);
  if (interface.input(frame, &interface) != ERR_OK) pbuf_free(frame);
}

static void request_arrived(uint16_t length) {
  if (length < sizeof(NetRequest)) return;
  NetRequest request;
  memcpy(&request, payload, sizeof request);
  const uint8_t* data = payload + sizeof request;
  uint16_t bytes = length - sizeof request;
  if (request.kind == NET_UDP_SEND) udp_send_request(&request, data, bytes);
  else if (request.kind == NET_PING) ping_request(&request);
  else if (request.kind == NET_TCP_CONNECT) tcp_open(&request, data, bytes);
  else if (request.kind == NET_TCP_SEND || request.kind == NET_TCP_CLOSE || request.kind == NET_TCP_ABORT) tcp_request(&request, data, bytes);
}

EXPORT("handle") void handle(uint32_t kind, uint32_t source, uint32_t name, uint64_t timestamp, uint32_t length) {
  if (length > sizeof payload) length = sizeof payload;
  if (length > 0) optios_payload((uint32_t)(uintptr_t)payload, length);
  if (!interface_up) start(); /* the boot event, or the first event after a reset */
  if (!interface_up) return;
  if (kind == EVENT_FRAME || kind == EVENT_NET_REQUEST) last_activity = sys_now();
  if (kind == EVENT_FRAME) frame_arrived((uint16_t)length);
  else if (kind == EVENT_NET_REQUEST) request_arrived((uint16_t)length);
  sys_check_timeouts();
  dhcp_deadline();
  report();
}
