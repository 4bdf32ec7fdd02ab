/* Baseline for `loyalty-devtools bench`: GET UID (FF CA 00 00 00) round trips through plain
 * libpcsclite, the way any C application would do them. Prints one latency in nanoseconds per
 * line, so the benchmark computes the same percentiles for every client, and its peak RSS on
 * stderr.
 *
 * usage: pcsc_getuid READER ITERATIONS WARMUP
 */
#include <PCSC/winscard.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s READER ITERATIONS WARMUP\n", argv[0]);
    return 2;
  }
  const char *reader = argv[1];
  int iterations = atoi(argv[2]), warmup = atoi(argv[3]);
  SCARDCONTEXT context;
  SCARDHANDLE card;
  DWORD protocol;
  LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &context);
  if (rv != SCARD_S_SUCCESS) { fprintf(stderr, "SCardEstablishContext: %s\n", pcsc_stringify_error(rv)); return 1; }
  rv = SCardConnect(context, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card, &protocol);
  if (rv != SCARD_S_SUCCESS) { fprintf(stderr, "SCardConnect: %s\n", pcsc_stringify_error(rv)); return 1; }
  const SCARD_IO_REQUEST *pci = protocol == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
  BYTE command[] = {0xFF, 0xCA, 0x00, 0x00, 0x00};
  BYTE response[258];
  long long *latency = malloc(sizeof(long long) * (size_t)iterations);
  for (int i = -warmup; i < iterations; i++) {
    DWORD length = sizeof response;
    long long start = now_ns();
    rv = SCardTransmit(card, pci, command, sizeof command, NULL, response, &length);
    long long end = now_ns();
    if (rv != SCARD_S_SUCCESS || length < 2 || response[length - 2] != 0x90) {
      fprintf(stderr, "exchange %d failed: %s\n", i, pcsc_stringify_error(rv));
      return 1;
    }
    if (i >= 0) latency[i] = end - start;
  }
  for (int i = 0; i < iterations; i++) printf("%lld\n", latency[i]);
  SCardDisconnect(card, SCARD_LEAVE_CARD);
  SCardReleaseContext(context);
  /* VmHWM, not ru_maxrss: on Linux ru_maxrss carries over from the parent across fork+exec. */
  FILE *status = fopen("/proc/self/status", "r");
  char line[256];
  while (status && fgets(line, sizeof line, status)) {
    if (strncmp(line, "VmHWM:", 6) == 0) fprintf(stderr, "maxrss_kib %ld\n", strtol(line + 6, NULL, 10));
  }
  if (status) fclose(status);
  return 0;
}
