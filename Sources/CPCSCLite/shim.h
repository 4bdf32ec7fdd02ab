#ifndef LOYALTY_CPCSCLITE_SHIM_H
#define LOYALTY_CPCSCLITE_SHIM_H
// The only C surface the live reader module sees: pcsc-lite's own headers,
// so every struct passed to libpcsclite has pcsc-lite's C layout.
#include <PCSC/winscard.h>
#include <PCSC/reader.h>
#endif
