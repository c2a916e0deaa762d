import WasmParser
import WasmTypes

/// The C spelling of wasm types and values, and the names of generated
/// symbols. Every name the emitter writes is built here, never by hand at the
/// use site.
enum CNames {
    /// The C type of a wasm value inside a function body: locals and operands
    /// (a v128 is a clang vector, `wa_v128` of `wasmaot_simd.h`).
    static func type(_ t: ValueType) -> String {
        switch t {
        case .i32: return "uint32_t"
        case .i64: return "uint64_t"
        case .f32: return "float"
        case .f64: return "double"
        case .v128: return "wa_v128"
        case .ref: return "void *"
        }
    }

    /// The C type of a parameter or result in a function signature (the calling
    /// convention of `wasmaot_abi.h`): the body type, except a v128 travels as
    /// `wasmaot_v128`, two 64-bit words libffi can describe.
    static func abiType(_ t: ValueType) -> String {
        t == .v128 ? "wasmaot_v128" : type(t)
    }

    /// `expression` (of the body type) as a signature value, and back.
    static func toABI(_ t: ValueType, _ expression: String) -> String {
        t == .v128 ? "wa_v128_to_abi(\(expression))" : expression
    }
    static func fromABI(_ t: ValueType, _ expression: String) -> String {
        t == .v128 ? "wa_v128_from_abi(\(expression))" : expression
    }

    /// Field of `wasmaot_value` holding a value of this type.
    static func cellField(_ t: ValueType) -> String {
        switch t {
        case .i32: return "i32"
        case .i64: return "i64"
        case .f32: return "f32"
        case .f64: return "f64"
        case .v128: return "v128"
        case .ref: return "ref"
        }
    }

    /// One-letter prefix of operand-stack variables, so that each (depth, type) has its own C local.
    static func stackPrefix(_ t: ValueType) -> String {
        switch t {
        case .i32: return "i"
        case .i64: return "j"
        case .f32: return "f"
        case .f64: return "d"
        case .v128: return "v"
        case .ref: return "r"
        }
    }

    /// The zero value of a type, for locals.
    static func zero(_ t: ValueType) -> String {
        switch t {
        case .i32: return "0"
        case .i64: return "0"
        case .f32: return "0.0f"
        case .f64: return "0.0"
        case .v128: return "{0}"
        case .ref: return "NULL"
        }
    }

    // MARK: Names inside a function body (a prefix per kind, so that kinds never collide)

    /// Wasm local `index` (parameters first): `l3`.
    static func local(_ index: UInt32) -> String { "l\(index)" }
    /// A v128 parameter as it arrives in the two-word ABI form, before it is unpacked
    /// into its local: `a2`.
    static func abiParameter(_ index: Int) -> String { "a\(index)" }
    /// The operand-stack slot of type `t` at `depth`: `i3` is the i32 at depth 3.
    static func slot(_ t: ValueType, depth: Int) -> String { stackPrefix(t) + String(depth) }
    /// Where a branch to block `n` goes: a loop's start, or the end of a block or `if`.
    static func branchTarget(_ n: Int) -> String { "L\(n)" }
    /// The start of the `if` numbered `n`'s else branch (its end when it has none).
    static func elseTarget(_ n: Int) -> String { "E\(n)" }
    /// The exception handler (`wasmaot_handler`) of the try block numbered `n`: `h3`.
    static func handler(_ n: Int) -> String { "h\(n)" }
    /// The exception a legacy try numbered `n` caught: `x3`.
    static func caughtException(_ n: Int) -> String { "x\(n)" }
    /// Where a throw in the legacy try numbered `n` lands: `D3`.
    static func dispatch(_ n: Int) -> String { "D\(n)" }
    /// The start of catch clause `k` of the legacy try numbered `n`: `C3_0`.
    static func catchClause(_ n: Int, _ k: Int) -> String { "C\(n)_\(k)" }
    /// A temporary of a `{ … }` scope of its own: `t0`.
    static func temporary(_ n: Int) -> String { "t\(n)" }
    /// The base address of memory `n`, kept in a local.
    static func memoryBase(_ n: Int) -> String { "m\(n)" }
    /// The size in bytes of memory `n`, kept in a local for explicit bounds checks.
    static func memorySize(_ n: Int) -> String { "sz\(n)" }

    // MARK: Types of a translation unit

    /// The function-pointer type of module type `typeIndex`: `wa_fn_t3`.
    static func functionPointerType(_ typeIndex: Int) -> String { "wa_fn_t\(typeIndex)" }
    /// The struct a function with several results returns, named by their types: `wa_res_ij`.
    static func resultStruct(_ results: [ValueType]) -> String { "wa_res_" + results.map(stackPrefix).joined() }
    /// Field `i` of a result struct.
    static func resultField(_ i: Int) -> String { "r\(i)" }
    /// The entry through which the host calls functions of one C signature (`wasmaot_abi.h`).
    static func entry(_ n: Int) -> String { "wa_entry_\(n)" }
    /// The host thunk of imported function `index` (`wasmaot_abi.h`).
    static func hostThunk(_ index: Int) -> String { "wa_host_\(index)" }
    /// A parameter or result of a cell (`wasmaot_value`), as the calling convention passes it.
    static func fromCell(_ t: ValueType, _ cell: String) -> String {
        t == .v128 ? "wa_abi_v128_from_cell(&\(cell))" : "\(cell).\(cellField(t))"
    }
    /// Stores `expression` (a calling-convention value) into a cell.
    static func toCell(_ t: ValueType, _ cell: String, _ expression: String) -> String {
        t == .v128 ? "wa_abi_v128_to_cell(&\(cell), \(expression));" : "\(cell).\(cellField(t)) = \(expression);"
    }

    // MARK: Constants

    static func i32(_ v: UInt32) -> String { "\(v)u" }
    static func i64(_ v: UInt64) -> String { "UINT64_C(\(v))" }
    static func f32(bits: UInt32) -> String { "wa_f32_from_bits(0x\(String(bits, radix: 16))u)" }
    static func f64(bits: UInt64) -> String { "wa_f64_from_bits(UINT64_C(0x\(String(bits, radix: 16))))" }
    /// A v128 constant from its 16 bytes (lane order, little-endian).
    static func v128(bytes: [UInt8]) -> String {
        func word(_ range: Range<Int>) -> String {
            let value = range.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[$1]) }
            return "UINT64_C(0x\(String(value, radix: 16)))"
        }
        return "wa_v128_const(\(word(0..<8)), \(word(8..<16)))"
    }

    /// A C identifier for a wasm function: `w` and its index, then its name-section
    /// name when it has one (so profilers and debuggers show it), e.g. `w38_fib`.
    /// The index makes it unique, and lets the loader map the object's symbol table
    /// back to function indices for backtraces (`w38_fib.specialized.1` is still 38).
    static func functionSymbols(count: Int, names: [UInt32: String]) -> [String] {
        (0..<count).map { index in
            guard let name = names[UInt32(index)], !name.isEmpty else { return "w\(index)" }
            return "w\(index)_" + sanitize(name)
        }
    }

    /// The tail entry of the function whose symbol is `symbol` (`wasmaot_abi.h`): `w38_fib_tail`
    /// (still function 38 for the backtrace's reading of symbols).
    static func tailEntry(_ symbol: String) -> String { symbol + "_tail" }

    /// Keeps `[A-Za-z0-9_]`, replaces anything else by `_`, and bounds the length.
    static func sanitize(_ name: String) -> String {
        var out = ""
        for scalar in name.unicodeScalars.prefix(200) {
            let ok =
                (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z")
                || (scalar >= "0" && scalar <= "9") || scalar == "_"
            out.unicodeScalars.append(ok ? scalar : "_")
        }
        return out
    }

    /// Text for a C comment: letters, digits, spaces and `_.,:-` as they are, anything else
    /// `_`, so that it can neither end the comment nor hold anything but plain text.
    static func comment(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(200) {
            let plain =
                (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || (scalar >= "0" && scalar <= "9")
                || " _.,:-".unicodeScalars.contains(scalar)
            out.unicodeScalars.append(plain ? scalar : "_")
        }
        return out
    }

    /// A C string literal of `text` (escapes `"`, `\`, `?` and every byte outside printable ASCII).
    static func stringLiteral(_ text: String) -> String {
        var out = "\""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += "\\\""
            case UInt8(ascii: "\\"): out += "\\\\"
            case UInt8(ascii: "?"): out += "\\?"  // never part of a trigraph (C11 has them)
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(byte))
            default: out += "\\" + String(byte, radix: 8).leftPadded(to: 3)
            }
        }
        return out + "\""
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
