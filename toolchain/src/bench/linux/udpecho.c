// The Linux guest's UDP echo server (RFC 862), the counterpart of OptiOS's echo handler.
//
// Usage: udpecho PORT. Binds 0.0.0.0:PORT and sends every datagram back to its sender, one
// recvfrom and one sendto a datagram, forever: the smallest honest server, as the bench's
// network comparison wants (docs/benchmarks.md).
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "udpecho: usage: udpecho PORT\n");
    return 2;
  }
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1])), .sin_addr.s_addr = htonl(INADDR_ANY)};
  if (fd < 0 || bind(fd, (struct sockaddr *)&address, sizeof address) != 0) {
    perror("udpecho: bind");
    return 1;
  }
  static char buffer[65536];
  for (;;) {
    struct sockaddr_in from;
    socklen_t length = sizeof from;
    ssize_t received = recvfrom(fd, buffer, sizeof buffer, 0, (struct sockaddr *)&from, &length);
    if (received >= 0) sendto(fd, buffer, (size_t)received, 0, (struct sockaddr *)&from, length);
  }
}
