/* The guest side of the host interface (include/wasmaot_guest.h), as a C author writes it:
 * exports the allocator, an export taking (pointer, length) and returning a record the host
 * frees, and a host import it calls with data. A command module too (main), so that the other
 * WASI tests' tooling builds it like the rest; the host calls its exports directly. */
#include "wasmaot_guest.h"
#include <ctype.h>
#include <string.h>

WASMAOT_EXPORT_ALLOCATOR()

WASMAOT_IMPORT(host, log) void host_log(const char *text, size_t length);

/* The text in upper case with a '!' appended, in a block the host frees; also logged. */
WASMAOT_EXPORT(shout) wasmaot_bytes *shout(const char *text, size_t length) {
  char *out = malloc(length + 1);
  if (!out) return wasmaot_return(NULL, 0);
  for (size_t i = 0; i < length; i++) out[i] = (char)toupper((unsigned char)text[i]);
  out[length] = '!';
  host_log(out, length + 1);
  return wasmaot_return(out, length + 1);
}

/* How many times `needle` occurs in `haystack` (two inputs). */
WASMAOT_EXPORT(count)
size_t count(const char *haystack, size_t haystack_length, const char *needle, size_t needle_length) {
  if (needle_length == 0 || needle_length > haystack_length) return 0;
  size_t n = 0;
  for (size_t i = 0; i + needle_length <= haystack_length; i++)
    if (memcmp(haystack + i, needle, needle_length) == 0) n++;
  return n;
}

int main(void) { return 0; }
