/* stackvm: a bytecode interpreter — a small stack machine (switch dispatch, locals, calls)
   running an assembled program: Collatz step counting plus a recursive function. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum {
    OP_HALT, OP_PUSH, OP_POP, OP_DUP, OP_LOAD, OP_STORE, OP_ADD, OP_SUB, OP_MUL, OP_DIVU,
    OP_REMU, OP_AND, OP_OR, OP_XOR, OP_SHL, OP_SHRU, OP_LTU, OP_EQ, OP_JMP, OP_JZ, OP_JNZ,
    OP_CALL, OP_RET, OP_INC, OP_PRINT
};

#define MAX_CODE 1024
static int32_t code[MAX_CODE];
static int ncode;
static uint32_t printed[8];
static int nprinted;

static int emit(int32_t v) { code[ncode] = v; return ncode++; }
static int emit2(int32_t op, int32_t arg) { int at = emit(op); emit(arg); return at; }

/* frame layout: locals live in a separate array indexed relative to the frame base */
static uint32_t run(int entry) {
    uint32_t stack[256];
    uint32_t locals[64 * 16];
    int ret_pc[64], ret_fp[64];
    int sp = 0, fp = 0, depth = 0, pc = entry;
    uint64_t steps = 0;
    for (;;) {
        steps++;
        int32_t op = code[pc++];
        switch (op) {
        case OP_HALT: return (uint32_t)steps ^ (sp > 0 ? stack[sp - 1] : 0);
        case OP_PUSH: stack[sp++] = (uint32_t)code[pc++]; break;
        case OP_POP: sp--; break;
        case OP_DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case OP_LOAD: stack[sp++] = locals[fp + code[pc++]]; break;
        case OP_STORE: locals[fp + code[pc++]] = stack[--sp]; break;
        case OP_INC: locals[fp + code[pc]] += (uint32_t)code[pc + 1]; pc += 2; break;
        case OP_ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case OP_SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case OP_MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case OP_DIVU: sp--; stack[sp - 1] = stack[sp] ? stack[sp - 1] / stack[sp] : 0; break;
        case OP_REMU: sp--; stack[sp - 1] = stack[sp] ? stack[sp - 1] % stack[sp] : 0; break;
        case OP_AND: sp--; stack[sp - 1] &= stack[sp]; break;
        case OP_OR: sp--; stack[sp - 1] |= stack[sp]; break;
        case OP_XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
        case OP_SHL: sp--; stack[sp - 1] <<= (stack[sp] & 31); break;
        case OP_SHRU: sp--; stack[sp - 1] >>= (stack[sp] & 31); break;
        case OP_LTU: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case OP_EQ: sp--; stack[sp - 1] = stack[sp - 1] == stack[sp]; break;
        case OP_JMP: pc = code[pc]; break;
        case OP_JZ: pc = stack[--sp] == 0 ? code[pc] : pc + 1; break;
        case OP_JNZ: pc = stack[--sp] != 0 ? code[pc] : pc + 1; break;
        case OP_CALL: { /* CALL target nargs: arguments are popped into the new frame's locals */
            int target = code[pc], nargs = code[pc + 1];
            ret_pc[depth] = pc + 2;
            ret_fp[depth] = fp;
            depth++;
            fp += 16;
            for (int i = nargs - 1; i >= 0; i--) locals[fp + i] = stack[--sp];
            pc = target;
            break;
        }
        case OP_RET:
            depth--;
            pc = ret_pc[depth];
            fp = ret_fp[depth];
            break;
        case OP_PRINT:
            if (nprinted < 8) printed[nprinted++] = stack[sp - 1];
            sp--;
            break;
        default: printf("bad opcode %d at %d\n", op, pc - 1); exit(3);
        }
    }
}

int main(void) {
    /* function tri(n): if n == 0 return 0 else return n + tri(n - 1)   (recursion, depth <= 40) */
    int j_main = emit2(OP_JMP, 0), tri = ncode;
    emit2(OP_LOAD, 0); int jz_fix = ncode; emit2(OP_JZ, 0);
    emit2(OP_LOAD, 0); emit2(OP_LOAD, 0); emit2(OP_PUSH, 1); emit(OP_SUB);
    emit(OP_CALL); emit(tri); emit(1);
    emit(OP_ADD); emit(OP_RET);
    code[jz_fix + 1] = ncode;
    emit2(OP_PUSH, 0); emit(OP_RET);
    code[j_main + 1] = ncode;

    /* main: locals 0=i 1=x 2=steps 3=total 4=acc */
    const int LIMIT = 70000;
    emit2(OP_PUSH, 1); emit2(OP_STORE, 0);
    emit2(OP_PUSH, 0); emit2(OP_STORE, 3);
    emit2(OP_PUSH, 0); emit2(OP_STORE, 4);
    int loop_i = ncode;
    emit2(OP_LOAD, 0); emit2(OP_PUSH, LIMIT); emit(OP_LTU); int jz_end = ncode; emit2(OP_JZ, 0);
    emit2(OP_LOAD, 0); emit2(OP_STORE, 1); emit2(OP_PUSH, 0); emit2(OP_STORE, 2);
    int loop_x = ncode;
    emit2(OP_LOAD, 1); emit2(OP_PUSH, 1); emit(OP_EQ); int jnz_done = ncode; emit2(OP_JNZ, 0);
    emit2(OP_LOAD, 1); emit2(OP_PUSH, 1); emit(OP_AND); int jz_even = ncode; emit2(OP_JZ, 0);
    /* odd: x = 3x + 1 */
    emit2(OP_LOAD, 1); emit2(OP_PUSH, 3); emit(OP_MUL); emit2(OP_PUSH, 1); emit(OP_ADD);
    emit2(OP_STORE, 1); int j_next = ncode; emit2(OP_JMP, 0);
    code[jz_even + 1] = ncode; /* even: x = x >> 1 */
    emit2(OP_LOAD, 1); emit2(OP_PUSH, 1); emit(OP_SHRU); emit2(OP_STORE, 1);
    code[j_next + 1] = ncode;
    emit(OP_INC); emit(2); emit(1);
    emit2(OP_JMP, loop_x);
    code[jnz_done + 1] = ncode;
    /* total += steps; acc = acc * 31 ^ tri(i % 40) */
    emit2(OP_LOAD, 3); emit2(OP_LOAD, 2); emit(OP_ADD); emit2(OP_STORE, 3);
    emit2(OP_LOAD, 4); emit2(OP_PUSH, 31); emit(OP_MUL);
    emit2(OP_LOAD, 0); emit2(OP_PUSH, 40); emit(OP_REMU);
    emit(OP_CALL); emit(tri); emit(1);
    emit(OP_XOR); emit2(OP_STORE, 4);
    emit(OP_INC); emit(0); emit(1);
    emit2(OP_JMP, loop_i);
    code[jz_end + 1] = ncode;
    emit2(OP_LOAD, 3); emit(OP_PRINT);
    emit2(OP_LOAD, 4); emit(OP_PRINT);
    emit2(OP_PUSH, 7); emit(OP_HALT);

    uint32_t r = run(0);
    printf("code=%d words, collatz-total=%u acc=%u result=%u\n", ncode, printed[0], printed[1], r);
    return 0;
}
