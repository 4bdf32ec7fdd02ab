// Loads libpcsclite.so.1 at run time (see include/CPCSCLite.h for why).
#include "CPCSCLite.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pcsclite_functions pcsclite;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;
static char failure[512];

#define RESOLVE(handle, name)                                                                 \
  do {                                                                                        \
    void *symbol = dlsym(handle, #name);                                                      \
    if (!symbol) {                                                                            \
      snprintf(failure, sizeof failure, "%s has no %s: %s", path, #name, dlerror()); \
      return;                                                                                 \
    }                                                                                         \
    memcpy(&functions.name, &symbol, sizeof symbol);                                          \
  } while (0)

static void load_once(void) {
  // As scdaemon's --pcsc-driver: another build of pcsc-lite can be named; the default is Debian's.
  const char *path = getenv("LOYALTY_PCSC_LIBRARY");
  if (!path || !*path) path = "libpcsclite.so.1";
  void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *reason = dlerror();
    snprintf(failure, sizeof failure, "%s", reason ? reason : "cannot open libpcsclite.so.1");
    return;
  }
  struct pcsclite_functions functions;
  RESOLVE(handle, SCardEstablishContext);
  RESOLVE(handle, SCardReleaseContext);
  RESOLVE(handle, SCardCancel);
  RESOLVE(handle, SCardListReaders);
  RESOLVE(handle, SCardGetStatusChange);
  RESOLVE(handle, SCardConnect);
  RESOLVE(handle, SCardReconnect);
  RESOLVE(handle, SCardDisconnect);
  RESOLVE(handle, SCardStatus);
  RESOLVE(handle, SCardTransmit);
  RESOLVE(handle, SCardControl);
  pcsclite = functions;
  loaded = 1;
}

int pcsclite_load(char *message, size_t size) {
  pthread_once(&once, load_once);
  if (!loaded && message && size > 0) snprintf(message, size, "%s", failure);
  return loaded;
}
