/* The code-generation headers, embedded byte for byte so that the compiler
 * emits code against exactly the ABI this runtime was built with. */
#include "internal.h"

#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wc23-extensions"
static const char abi_header[] = {
#embed "../include/wasmaot_abi.h"
    , 0};
static const char ops_header[] = {
#embed "../codegen/wasmaot_ops.h"
    , 0};
static const char simd_header[] = {
#embed "../codegen/wasmaot_simd.h"
    , 0};
#pragma clang diagnostic pop

const char *wasmaot_abi_header_text(void) { return abi_header; }
const char *wasmaot_ops_header_text(void) { return ops_header; }
const char *wasmaot_simd_header_text(void) { return simd_header; }
