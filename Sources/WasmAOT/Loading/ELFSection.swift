/// Reads one section of an ELF64 little-endian shared object from its bytes,
/// before the object is loaded: every offset and size is bounds-checked.
enum ELFSection {
    /// The first four bytes of every ELF file.
    static let magic: [UInt8] = [0x7F, 0x45, 0x4C, 0x46]

    /// The host's ELF machine number.
    static var hostMachine: UInt16 {
        #if arch(x86_64)
            return 62  // EM_X86_64
        #elseif arch(arm64)
            return 183  // EM_AARCH64
        #else
            return 0
        #endif
    }

    static func machineName(_ machine: UInt16) -> String {
        switch machine {
        case 62: return "x86-64"
        case 183: return "aarch64"
        case 3: return "i386"
        case 40: return "arm"
        default: return "machine \(machine)"
        }
    }

    /// The contents of section `name`; throws a ``LoadError`` naming what is wrong.
    static func read(_ name: String, in bytes: [UInt8], path: String) throws(LoadError) -> ArraySlice<UInt8> {
        guard let contents = try find(name, in: bytes, path: path) else {
            throw .notAModule(path: path, reason: "no \(name) section: not compiled by wasmaot")
        }
        return contents
    }

    /// The contents of section `name`, nil if the object has none.
    static func find(_ name: String, in bytes: [UInt8], path: String) throws(LoadError) -> ArraySlice<UInt8>? {
        func bad(_ why: String) -> LoadError { .notAModule(path: path, reason: why) }
        func u16(_ o: Int) throws(LoadError) -> UInt16 {
            guard o >= 0, o + 2 <= bytes.count else { throw bad("truncated ELF header") }
            return UInt16(bytes[o]) | UInt16(bytes[o + 1]) << 8
        }
        func u32(_ o: Int) throws(LoadError) -> UInt32 {
            guard o >= 0, o + 4 <= bytes.count else { throw bad("truncated ELF header") }
            var v: UInt32 = 0
            for i in 0..<4 { v |= UInt32(bytes[o + i]) << (8 * i) }
            return v
        }
        func u64(_ o: Int) throws(LoadError) -> UInt64 {
            guard o >= 0, o + 8 <= bytes.count else { throw bad("truncated ELF header") }
            var v: UInt64 = 0
            for i in 0..<8 { v |= UInt64(bytes[o + i]) << (8 * i) }
            return v
        }
        guard bytes.count >= 64, bytes.starts(with: magic) else {
            throw bad("not an ELF file")
        }
        guard bytes[4] == 2 else { throw bad("not a 64-bit ELF object") }
        guard bytes[5] == 1 else { throw bad("not a little-endian ELF object") }
        guard try u16(16) == 3 else { throw bad("not a shared object (ELF type \(try u16(16)))") }
        let machine = try u16(18)
        guard machine == hostMachine else {
            throw bad("compiled for \(machineName(machine)), this host is \(machineName(hostMachine))")
        }
        let shoff = try u64(0x28)
        let shentsize = Int(try u16(0x3A))
        let shnum = Int(try u16(0x3C))
        let shstrndx = Int(try u16(0x3E))
        guard shentsize == 64, shnum > 0, shstrndx < shnum, shoff <= UInt64(bytes.count),
            UInt64(bytes.count) - shoff >= UInt64(shnum * 64)
        else { throw bad("corrupt section header table") }
        let table = Int(shoff)
        func section(_ i: Int) throws(LoadError) -> (name: UInt32, offset: UInt64, size: UInt64, type: UInt32) {
            let base = table + i * 64
            return (try u32(base), try u64(base + 0x18), try u64(base + 0x20), try u32(base + 4))
        }
        func contents(_ s: (name: UInt32, offset: UInt64, size: UInt64, type: UInt32)) throws(LoadError) -> ArraySlice<UInt8> {
            guard s.type != 8 /* SHT_NOBITS */, s.offset <= UInt64(bytes.count), UInt64(bytes.count) - s.offset >= s.size else {
                throw bad("section extends past the end of the file")
            }
            return bytes[Int(s.offset)..<Int(s.offset + s.size)]
        }
        let strings = try contents(try section(shstrndx))
        for i in 0..<shnum {
            let s = try section(i)
            guard s.name < UInt64(strings.count) else { continue }
            var end = strings.startIndex + Int(s.name)
            while end < strings.endIndex, strings[end] != 0 { end += 1 }
            let sectionName = String(decoding: strings[(strings.startIndex + Int(s.name))..<end], as: UTF8.self)
            if sectionName == name { return try contents(s) }
        }
        return nil
    }

    /// The generated wasm functions in the object's symbol table (`.symtab`): each
    /// one's wasm function index (from its name, `w<index>` or `w<index>_<name>`,
    /// possibly with a suffix clang added such as `.specialized.1`) and its address
    /// range relative to the load base. Empty for a stripped object.
    static func wasmFunctionSymbols(in bytes: [UInt8], path: String) -> [(start: UInt64, end: UInt64, index: Int)] {
        guard let symbols = try? find(".symtab", in: bytes, path: path), let names = try? find(".strtab", in: bytes, path: path) else {
            return []
        }
        func word(_ at: Int, _ width: Int) -> UInt64 {
            (0..<width).reduce(UInt64(0)) { $0 | UInt64(symbols[at + $1]) << (8 * $1) }
        }
        var result: [(start: UInt64, end: UInt64, index: Int)] = []
        var entry = symbols.startIndex
        while entry + 24 <= symbols.endIndex {  // Elf64_Sym
            defer { entry += 24 }
            let info = symbols[entry + 4], value = word(entry + 8, 8), size = word(entry + 16, 8)
            guard info & 0xF == 2 /* STT_FUNC */, size > 0, value <= UInt64.max - size else { continue }
            // The name: "w", decimal digits, then the end, "_" or ".".
            var at = names.startIndex + Int(truncatingIfNeeded: word(entry, 4))
            guard at >= names.startIndex, at < names.endIndex, names[at] == UInt8(ascii: "w") else { continue }
            at += 1
            var index = 0, digits = 0
            while at < names.endIndex, names[at] >= 0x30, names[at] <= 0x39, digits < 10 {
                index = index * 10 + Int(names[at] - 0x30)
                digits += 1
                at += 1
            }
            guard digits > 0, at < names.endIndex, [0, UInt8(ascii: "_"), UInt8(ascii: ".")].contains(names[at]) else { continue }
            result.append((value, value + size, index))
        }
        return result
    }
}
