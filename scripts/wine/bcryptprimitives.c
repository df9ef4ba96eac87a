/*
 * Stand-in for bcryptprimitives.dll under Wine.
 *
 * Every Windows executable built by Rust >= 1.78 imports `ProcessPrng` from
 * bcryptprimitives.dll (std's random source for HashMap keys). Debian 12's
 * Wine 8.0 ships no such DLL, so test executables die before `main` with exit
 * status 53. scripts/wine-runner.sh builds this file with
 * x86_64-w64-mingw32-gcc and copies the DLL into the Wine prefix's system32.
 *
 * It is only ever loaded inside the CI Wine prefix; it is not shipped.
 */
#include <windows.h>

/* advapi32's RtlGenRandom; Wine implements it with the host's random source. */
BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

/* Same contract as Windows: fills the buffer, always returns TRUE. */
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk)) {
            /* Windows' ProcessPrng cannot fail; neither may this one return
             * unfilled bytes as if they were random. */
            ExitProcess(0xC0000001);
        }
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
