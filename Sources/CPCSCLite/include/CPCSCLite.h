#ifndef LOYALTY_CPCSCLITE_H
#define LOYALTY_CPCSCLITE_H
// The C surface of the live reader module: pcsc-lite's client API, loaded at run time.
//
// The build needs no pcsc-lite development files: the types and constants below restate
// pcsc-lite's Linux/x86_64/aarch64 ABI (pcsclite.h, wintypes.h; LONG = long, DWORD = unsigned
// long), and libpcsclite.so.1 is opened with dlopen on first use, as GnuPG's scdaemon does. The
// layout is checked against the real headers by a test (PCSCIntegrationTests) wherever
// libpcsclite-dev is installed. Each SCard* function here is a static inline wrapper, so nothing
// in this module is exported under pcsc-lite's own symbol names.

#include <stddef.h>

typedef long LONG;
typedef unsigned long DWORD;
typedef LONG SCARDCONTEXT;
typedef LONG SCARDHANDLE;

#define MAX_ATR_SIZE 33

typedef struct {
  const char *szReader;
  void *pvUserData;
  DWORD dwCurrentState;
  DWORD dwEventState;
  DWORD cbAtr;
  unsigned char rgbAtr[MAX_ATR_SIZE];
} SCARD_READERSTATE;

typedef struct {
  unsigned long dwProtocol;
  unsigned long cbPciLength;
} SCARD_IO_REQUEST;

#define SCARD_SCOPE_SYSTEM 0x0002
#define SCARD_SHARE_SHARED 0x0002
#define SCARD_SHARE_DIRECT 0x0003
/// pcsc-lite's reader.h: SCARD_CTL_CODE(code) = 0x42000000 + code; 3500 is the CCID escape.
#define SCARD_CTL_CODE(code) (0x42000000 + (code))
#define IOCTL_CCID_ESCAPE 0x42000DAC // SCARD_CTL_CODE(3500), spelt out: Swift imports no function-like macro
#define SCARD_PROTOCOL_T0 0x0001
#define SCARD_PROTOCOL_T1 0x0002
#define SCARD_LEAVE_CARD 0x0000
#define SCARD_RESET_CARD 0x0001

#define SCARD_STATE_UNAWARE 0x0000
#define SCARD_STATE_IGNORE 0x0001
#define SCARD_STATE_CHANGED 0x0002
#define SCARD_STATE_UNKNOWN 0x0004
#define SCARD_STATE_UNAVAILABLE 0x0008
#define SCARD_STATE_EMPTY 0x0010
#define SCARD_STATE_PRESENT 0x0020
#define SCARD_STATE_MUTE 0x0200

/// The functions of libpcsclite this project calls, resolved by pcsclite_load().
struct pcsclite_functions {
  LONG (*SCardEstablishContext)(DWORD, const void *, const void *, SCARDCONTEXT *);
  LONG (*SCardReleaseContext)(SCARDCONTEXT);
  LONG (*SCardCancel)(SCARDCONTEXT);
  LONG (*SCardListReaders)(SCARDCONTEXT, const char *, char *, DWORD *);
  LONG (*SCardGetStatusChange)(SCARDCONTEXT, DWORD, SCARD_READERSTATE *, DWORD);
  LONG (*SCardConnect)(SCARDCONTEXT, const char *, DWORD, DWORD, SCARDHANDLE *, DWORD *);
  LONG (*SCardReconnect)(SCARDHANDLE, DWORD, DWORD, DWORD, DWORD *);
  LONG (*SCardDisconnect)(SCARDHANDLE, DWORD);
  LONG (*SCardStatus)(SCARDHANDLE, char *, DWORD *, DWORD *, DWORD *, unsigned char *, DWORD *);
  LONG (*SCardTransmit)(
    SCARDHANDLE, const SCARD_IO_REQUEST *, const unsigned char *, DWORD, SCARD_IO_REQUEST *, unsigned char *, DWORD *);
  LONG (*SCardControl)(SCARDHANDLE, DWORD, const void *, DWORD, void *, DWORD, DWORD *);
};

/// The resolved functions; every pointer is NULL until pcsclite_load() has succeeded.
extern struct pcsclite_functions pcsclite;

/// Opens libpcsclite.so.1 and resolves every function, once per process (thread-safe).
/// Returns 1 when the library is usable; otherwise 0, with the reason (dlerror's text) in `message`.
int pcsclite_load(char *message, size_t size);

/// SCARD_E_NO_SERVICE: what every wrapper returns while the library is not loaded.
#define PCSCLITE_NOT_LOADED ((LONG)0x8010001D)

static inline LONG SCardEstablishContext(DWORD scope, const void *r1, const void *r2, SCARDCONTEXT *context) {
  if (!pcsclite_load(NULL, 0)) return PCSCLITE_NOT_LOADED;
  return pcsclite.SCardEstablishContext(scope, r1, r2, context);
}
static inline LONG SCardReleaseContext(SCARDCONTEXT context) {
  return pcsclite.SCardReleaseContext ? pcsclite.SCardReleaseContext(context) : PCSCLITE_NOT_LOADED;
}
static inline LONG SCardCancel(SCARDCONTEXT context) {
  return pcsclite.SCardCancel ? pcsclite.SCardCancel(context) : PCSCLITE_NOT_LOADED;
}
static inline LONG SCardListReaders(SCARDCONTEXT context, const char *groups, char *readers, DWORD *length) {
  return pcsclite.SCardListReaders ? pcsclite.SCardListReaders(context, groups, readers, length) : PCSCLITE_NOT_LOADED;
}
static inline LONG SCardGetStatusChange(SCARDCONTEXT context, DWORD timeout, SCARD_READERSTATE *states, DWORD count) {
  return pcsclite.SCardGetStatusChange ? pcsclite.SCardGetStatusChange(context, timeout, states, count)
                                       : PCSCLITE_NOT_LOADED;
}
static inline LONG SCardConnect(
  SCARDCONTEXT context, const char *reader, DWORD share, DWORD protocols, SCARDHANDLE *card, DWORD *active) {
  return pcsclite.SCardConnect ? pcsclite.SCardConnect(context, reader, share, protocols, card, active)
                               : PCSCLITE_NOT_LOADED;
}
static inline LONG SCardReconnect(SCARDHANDLE card, DWORD share, DWORD protocols, DWORD initialization, DWORD *active) {
  return pcsclite.SCardReconnect ? pcsclite.SCardReconnect(card, share, protocols, initialization, active)
                                 : PCSCLITE_NOT_LOADED;
}
static inline LONG SCardDisconnect(SCARDHANDLE card, DWORD disposition) {
  return pcsclite.SCardDisconnect ? pcsclite.SCardDisconnect(card, disposition) : PCSCLITE_NOT_LOADED;
}
static inline LONG SCardStatus(
  SCARDHANDLE card, char *name, DWORD *nameLength, DWORD *state, DWORD *protocol, unsigned char *atr,
  DWORD *atrLength) {
  return pcsclite.SCardStatus ? pcsclite.SCardStatus(card, name, nameLength, state, protocol, atr, atrLength)
                              : PCSCLITE_NOT_LOADED;
}
static inline LONG SCardTransmit(
  SCARDHANDLE card, const SCARD_IO_REQUEST *sendPci, const unsigned char *send, DWORD sendLength,
  SCARD_IO_REQUEST *receivePci, unsigned char *receive, DWORD *receiveLength) {
  return pcsclite.SCardTransmit
    ? pcsclite.SCardTransmit(card, sendPci, send, sendLength, receivePci, receive, receiveLength)
    : PCSCLITE_NOT_LOADED;
}
static inline LONG SCardControl(
  SCARDHANDLE card, DWORD code, const void *send, DWORD sendLength, void *receive, DWORD receiveLength,
  DWORD *returned) {
  return pcsclite.SCardControl
    ? pcsclite.SCardControl(card, code, send, sendLength, receive, receiveLength, returned)
    : PCSCLITE_NOT_LOADED;
}

#endif
