// Bytes as text, for digests in file names, sonames and messages.

extension Sequence where Element == UInt8 {
    /// The bytes in lower-case hexadecimal, two digits each:
    /// `[0x0f, 0xa0].hexDigits == "0fa0"`.
    package var hexDigits: String {
        let digits = Array("0123456789abcdef")
        var text = ""
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return text
    }
}
