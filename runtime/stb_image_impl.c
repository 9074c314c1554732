/*
 * stb_image_impl.c - Debian's stb_image (libstb-dev), compiled once for the runtime: PNG,
 * JPEG and BMP only.  Third-party code, so not held to our warning list; in its own file so
 * the fuzz build can leave UBSan off here (tests/fuzz.cmake): stb 2.27's JPEG entropy decoder
 * shifts by more than 31 bits and indexes its own tables with a negative symbol on corrupt
 * data (fixed upstream in 2.28).  data.c checks every file's header before stb sees it.
 */
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wall"
#pragma GCC diagnostic ignored "-Wextra"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#endif
#include <stb/stb_image.h>
#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif
