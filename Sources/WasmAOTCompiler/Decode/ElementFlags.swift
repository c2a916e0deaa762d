/// WasmParser 0.4.2 reads an element segment's flags as a bit set and ignores the bits above
/// the three it knows: flags 0x0d or 0x55 decode as segments of kind 5. Only 0…7 are valid (the
/// spec, wasm-tools, wabt and wasmtime reject the rest), so the element section WasmParser has
/// accepted is scanned for them here: just enough decoding to step from one segment's flags to
/// the next. An instruction it cannot step over (a GC constant, refused later anyway) ends the
/// scan without an error.
enum ElementFlags {
    /// Throws for the first segment whose flags exceed 7. `bytes[start..<end]` is the whole
    /// element section: its id, its size, its contents.
    static func check(_ bytes: [UInt8], section start: Int, end: Int) throws(DecodeError) {
        var reader = Reader(bytes: bytes, position: start, end: end)
        guard reader.byte() == 9, reader.skipLEB(), let count = reader.leb() else { return }
        for _ in 0..<count {
            let flagsOffset = reader.position
            guard let flags = reader.leb() else { return }
            guard flags <= 7 else {
                throw DecodeError(
                    message: "malformed elements segment kind: flags 0x\(String(flags, radix: 16)) (0 to 7 are valid)",
                    offset: flagsOffset)
            }
            if flags & 1 == 0 {  // active
                if flags & 2 != 0 { guard reader.skipLEB() else { return } }
                guard reader.skipConstant() else { return }
            }
            if flags & 3 != 0 {  // an element kind (a byte) or a reference type
                guard flags & 4 != 0 ? reader.skipReferenceType() : reader.byte() != nil else { return }
            }
            guard let items = reader.leb() else { return }
            for _ in 0..<items {
                guard flags & 4 != 0 ? reader.skipConstant() : reader.skipLEB() else { return }
            }
        }
    }

    /// Reads forward; every method returns nil or false at the end of the section.
    private struct Reader {
        let bytes: [UInt8]
        var position: Int
        let end: Int

        mutating func byte() -> UInt8? {
            guard position < end else { return nil }
            defer { position += 1 }
            return bytes[position]
        }

        /// An unsigned LEB128 of at most 64 bits.
        mutating func leb() -> UInt64? {
            var value: UInt64 = 0
            for shift in stride(from: 0, to: 64, by: 7) {
                guard let b = byte() else { return nil }
                value |= UInt64(b & 0x7F) << UInt64(shift)
                if b & 0x80 == 0 { return value }
            }
            return nil
        }

        /// Steps over a LEB128, signed or not.
        mutating func skipLEB() -> Bool {
            while let b = byte() {
                if b & 0x80 == 0 { return true }
            }
            return false
        }

        mutating func skip(_ count: Int) -> Bool {
            guard end - position >= count else { return false }
            position += count
            return true
        }

        /// A value type that must be a reference: one byte, or `ref`/`ref null` and a heap type.
        mutating func skipReferenceType() -> Bool {
            guard let b = byte() else { return false }
            return b == 0x63 || b == 0x64 ? skipLEB() : true
        }

        /// A constant expression up to its `end`.
        mutating func skipConstant() -> Bool {
            while let opcode = byte() {
                switch opcode {
                case 0x0B: return true
                case 0x41, 0x42, 0x23, 0xD2, 0xD0: guard skipLEB() else { return false }  // const, global.get, ref.func/null
                case 0x43: guard skip(4) else { return false }
                case 0x44: guard skip(8) else { return false }
                case 0x6A, 0x6B, 0x6C, 0x7C, 0x7D, 0x7E: break  // extended-const add/sub/mul
                case 0xFD:
                    guard leb() == 12, skip(16) else { return false }  // v128.const
                default: return false
                }
            }
            return false
        }
    }
}
