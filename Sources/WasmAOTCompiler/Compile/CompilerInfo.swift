import WasmAOTRuntime

/// Version of the compiler, recorded in every module it produces.
public enum CompilerInfo {
    public static let versionNumber = "0.1.0"
    public static let version = "wasmaot \(versionNumber)"

    /// The GNU build id (hex) of the executable or library the compiler is linked
    /// into, or "" if it has none: it changes with every rebuild of the compiler,
    /// which the version number does not.
    public static let buildID: String = {
        let runtime: @convention(c) () -> UnsafePointer<wasmaot_runtime>? = wasmaot_runtime_services
        var bytes = [UInt8](repeating: 0, count: 64)
        let length = bytes.withUnsafeMutableBufferPointer {
            wasmaot_build_id(unsafeBitCast(runtime, to: UnsafeRawPointer.self), $0.baseAddress, $0.count)
        }
        return bytes.prefix(length).map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }()

    /// What identifies the code that compiles: the version and, where there is one, the build id.
    public static var identity: String { buildID.isEmpty ? version : "\(version) build \(buildID)" }
}
