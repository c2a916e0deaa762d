import Foundation
import WASI
import WasmAOTFormat
import WasmAOTRuntime
import WasmTypes

/// Where a WASI program's standard stream goes.
public enum StandardStream: Sendable, Equatable {
    /// The host process's own stream (fd 0, 1 or 2).
    case inherit
    /// A host file descriptor, borrowed: never closed by WASI.
    case fileDescriptor(Int32)
    /// For stdout/stderr: collected in memory, read back with ``WASI/output(_:)``.
    case capture
    /// For stdin: the program reads these bytes, then end of file.
    case bytes([UInt8])
}

/// How a WASI program sees the world: its arguments, environment, the
/// directories it may reach, and its standard streams. Nothing else of the
/// host is visible: paths resolve only inside the preopened directories
/// (`..`, absolute paths and symlinks cannot leave them), only the listed
/// environment variables exist, and no host file descriptor but the three
/// standard streams is reachable.
///
/// ```swift
/// let config = WASIConfiguration(args: ["app", "input.txt"], env: ["KEY": "VALUE"],
///                                preopens: [.init(guestPath: "/data", hostPath: "./data")],
///                                stdout: .capture)
/// let wasi = try WASI(config)
/// let instance = try module.instantiate(imports: wasi.imports)
/// let exitCode = try wasi.start(instance)
/// print(String(decoding: wasi.output(.stdout), as: UTF8.self))
/// ```
public struct WASIConfiguration: Sendable {
    /// A host directory made visible to the program under `guestPath`.
    public struct Preopen: Sendable, Equatable {
        public var guestPath: String
        public var hostPath: String
        public init(guestPath: String, hostPath: String) {
            self.guestPath = guestPath
            self.hostPath = hostPath
        }

        /// Parses the command-line form `HOST[::GUEST]` (wasmtime's `--dir`); the
        /// guest path defaults to the host path as written.
        public init(commandLine text: String) {
            if let range = text.range(of: "::") {
                self.init(guestPath: String(text[range.upperBound...]), hostPath: String(text[..<range.lowerBound]))
            } else {
                self.init(guestPath: text, hostPath: text)
            }
        }
    }

    /// A configuration from a command line's flags, wasmtime's way: `argv[0]` is the
    /// program's file name, `dirs` are `HOST[::GUEST]` preopens, `env` are `KEY=VALUE` pairs.
    ///
    /// ```swift
    /// let config = try WASIConfiguration(program: "bin/app.wasm", arguments: ["in.txt"],
    ///                                    dirs: ["./data::/data"], env: ["KEY=VALUE"])
    /// // args ["app.wasm", "in.txt"], env ["KEY": "VALUE"], /data → ./data
    /// ```
    public init(
        program: String, arguments: [String], dirs: [String] = [], env: [String] = [],
        stdin: StandardStream = .inherit, stdout: StandardStream = .inherit, stderr: StandardStream = .inherit
    ) throws(UsageError) {
        var variables: [String: String] = [:]
        for pair in env {
            guard let eq = pair.firstIndex(of: "="), eq != pair.startIndex else {
                throw UsageError("--env expects KEY=VALUE, got '\(pair)'")
            }
            variables[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
        }
        let name = program.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? program
        self.init(
            args: [name] + arguments, env: variables, preopens: dirs.map(Preopen.init(commandLine:)),
            stdin: stdin, stdout: stdout, stderr: stderr)
    }

    /// `argv`, starting with the program name.
    public var args: [String]
    public var env: [String: String]
    public var preopens: [Preopen]
    public var stdin: StandardStream
    public var stdout: StandardStream
    public var stderr: StandardStream

    public init(
        args: [String] = [], env: [String: String] = [:], preopens: [Preopen] = [],
        stdin: StandardStream = .inherit, stdout: StandardStream = .inherit, stderr: StandardStream = .inherit
    ) {
        self.args = args
        self.env = env
        self.preopens = preopens
        self.stdin = stdin
        self.stdout = stdout
        self.stderr = stderr
    }
}

/// Why a WASI environment could not be set up.
public struct WASISetupError: Error, CustomStringConvertible, Sendable {
    public var message: String
    public var description: String { message }
}

/// The three standard streams of a WASI program as host file descriptors:
/// borrowed ones, or in-memory files (`memfd`) this object owns.
public final class WASIStdio: @unchecked Sendable {
    /// Host descriptors for the guest's fd 0, 1 and 2.
    public let descriptors: (stdin: Int32, stdout: Int32, stderr: Int32)
    private var owned: [Int32] = []
    private var captured: [Int32: Int32] = [:]

    /// Opens the streams a configuration asks for.
    public init(_ configuration: WASIConfiguration) throws(WASISetupError) {
        var owned: [Int32] = []
        func open(_ stream: StandardStream, standard: Int32, name: String) throws(WASISetupError) -> Int32 {
            switch stream {
            case .inherit: return standard
            case .fileDescriptor(let fd):
                guard fcntl(fd, F_GETFD) != -1 else { throw WASISetupError(message: "\(name): \(fd) is not an open file descriptor") }
                return fd
            case .capture, .bytes:
                let fd = wasmaot_anonymous_file("wasmaot-\(name)")
                guard fd >= 0 else {
                    throw WASISetupError(message: "\(name): cannot create an in-memory file: \(String(cString: strerror(errno)))")
                }
                owned.append(fd)
                if case .bytes(let bytes) = stream {
                    var written = 0
                    while written < bytes.count {
                        let n = bytes[written...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                        guard n > 0 else {
                            throw WASISetupError(message: "\(name): cannot write input: \(String(cString: strerror(errno)))")
                        }
                        written += n
                    }
                    lseek(fd, 0, SEEK_SET)
                }
                return fd
            }
        }
        do {
            let stdin = try open(configuration.stdin, standard: 0, name: "stdin")
            let stdout = try open(configuration.stdout, standard: 1, name: "stdout")
            let stderr = try open(configuration.stderr, standard: 2, name: "stderr")
            descriptors = (stdin, stdout, stderr)
        } catch {
            for fd in owned { Glibc.close(fd) }
            throw error
        }
        self.owned = owned
        if configuration.stdout == .capture { captured[1] = descriptors.stdout }
        if configuration.stderr == .capture { captured[2] = descriptors.stderr }
    }

    deinit { for fd in owned { Glibc.close(fd) } }

    /// What the program wrote to a captured stream (fd 1 or 2) so far; empty if not captured.
    public func output(_ fd: Int32) -> [UInt8] {
        guard let host = captured[fd] else { return [] }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var offset: off_t = 0
        while true {
            let n = buffer.withUnsafeMutableBytes { pread(host, $0.baseAddress, $0.count, offset) }
            if n <= 0 { break }
            bytes += buffer[0..<n]
            offset += off_t(n)
        }
        return bytes
    }
}

extension WASIConfiguration {
    /// WasmKit's WASI state for this configuration over `stdio`'s descriptors: the one place
    /// where a configuration becomes a `WASIBridgeToHost` (our WASI and the interpreter oracle
    /// both use it, so both engines see the same world). The caller closes the bridge.
    package func makeBridge(stdio: WASIStdio) throws -> WASIBridgeToHost {
        for preopen in preopens {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: preopen.hostPath, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw WASISetupError(message: "preopen '\(preopen.hostPath)' is not a directory")
            }
        }
        let fds = stdio.descriptors
        return try WASIBridgeToHost(
            args: args, environment: env,
            preopens: preopens.map { WASIBridgeToHost.Preopen(guestPath: $0.guestPath, hostPath: $0.hostPath) },
            stdin: fds.stdin, stdout: fds.stdout, stderr: fds.stderr)
    }
}

/// A WASI preview1 environment (`wasi_snapshot_preview1`), implemented by
/// WasmKit's `WASI` library over our instance memory.
public final class WASI: @unchecked Sendable {
    /// The import module name of WASI preview1's functions.
    public static let moduleName = "wasi_snapshot_preview1"

    /// The standard stream of a WASI program, for ``output(_:)``.
    public enum Stream: Int32, Sendable {
        case stdout = 1
        case stderr = 2
    }

    private let bridge: WASIBridgeToHost
    private let stdio: WASIStdio
    private var closed = false
    /// The host functions to pass to ``Module/instantiate(imports:)``.
    public let imports: Imports

    public init(_ configuration: WASIConfiguration) throws {
        stdio = try WASIStdio(configuration)
        bridge = try configuration.makeBridge(stdio: stdio)
        imports = [WASI.moduleName: WASI.sandboxed(bridge.hostFunctions(capabilities: WASICapability<GuestView>.all))]
    }

    deinit { close() }

    /// Closes the files the program left open and the preopens (not the standard streams).
    public func close() {
        guard !closed else { return }
        closed = true
        try? bridge.close()
    }

    /// What the program wrote to a stream configured as ``StandardStream/capture``.
    public func output(_ stream: Stream) -> [UInt8] { stdio.output(stream.rawValue) }

    /// Runs a command: `_start`, returning the exit code (0 if `_start` returns).
    /// Traps are thrown as ``Trap``.
    public func start(_ instance: Instance) throws -> Int32 {
        let start: Function
        do { start = try instance.exports.function("_start") } catch {
            throw UsageError("not a WASI command: the module exports no function '_start'")
        }
        do {
            _ = try start.call([])
            return 0
        } catch let trap as Trap where trap.kind == .exit {
            return (trap.underlying as? HostExit)?.code ?? 0
        }
    }

    /// Initialises a reactor: calls `_initialize` if the module exports it.
    public func initialize(_ instance: Instance) throws {
        if instance.exports.contains(where: { $0.name == "_initialize" && $0.kind == .function }) {
            _ = try instance.exports.function("_initialize").call([])
        }
    }

    /// Our host function for one WASI function: WasmKit's implementation over
    /// the caller's memory, with proc_exit and out-of-bounds pointers turned
    /// into our traps.
    private static func bind(_ function: WASIHostFunction<GuestView>) -> HostFunction {
        let type = FuncType(params: function.type.parameters.compactMap(valType), results: function.type.results.compactMap(valType))
        return HostFunction(type: type) { caller, args in
            guard let memory = caller.memory else { throw UsageError("WASI needs the module to export its memory") }
            return try call(function, GuestView(memory: memory), args)
        }
    }

    /// Calls a WASI implementation with `view` as the guest memory.
    private static func call(_ function: WASIHostFunction<GuestView>, _ view: GuestView, _ args: [Value]) throws -> [Value] {
        defer { view.releaseScratch() }
        let results: [WasmTypes.Value]
        do {
            results = try function.implementation(view, args.map(\.wasmTypesValue))
        } catch let exit as WASIExitCode {
            throw HostExit(code: Int32(bitPattern: exit.code))
        }
        // A pointer outside the memory was handed to scratch space: that is a trap, not host access.
        if view.faulted { throw Trap(kind: .memoryOutOfBounds) }
        return results.map { Value($0) ?? .i32(0) }
    }

    /// Where WasmKit's implementation is not a sandbox, ours replaces it:
    /// - `path_filestat_get` with `SYMLINK_FOLLOW` would `fstatat` the last path
    ///   component on the host, following a symlink out of the preopen. Ours opens
    ///   the path through WasmKit's sandboxed `path_open` (which resolves every
    ///   symlink inside the preopen) and stats the opened descriptor.
    /// - `path_symlink` refuses absolute targets (`EPERM`), as wasmtime does: such a
    ///   link could never be followed inside the sandbox.
    /// - `path_readlink` of a link with an absolute target returns `EPERM`, as wasmtime
    ///   does, rather than the host path (WasmKit's returns it verbatim).
    private static func sandboxed(_ functions: [String: WASIHostFunction<GuestView>]) -> [String: any Extern] {
        var bound: [String: any Extern] = [:]
        for (name, function) in functions { bound[name] = bind(function) }
        if let filestat = functions["path_filestat_get"], let open = functions["path_open"],
            let fdFilestat = functions["fd_filestat_get"], let close = functions["fd_close"]
        {
            bound["path_filestat_get"] = HostFunction(params: [.i32, .i32, .i32, .i32, .i32], results: [.i32]) { caller, args in
                guard let memory = caller.memory else { throw UsageError("WASI needs the module to export its memory") }
                guard case .i32(let flags) = args[1], flags & 1 != 0, case .i32(let fd) = args[0],
                    case .i32(let pathPointer) = args[2], case .i32(let pathLength) = args[3]
                else { return try call(filestat, GuestView(memory: memory), args) }
                let path = try guestBytes(memory, pathPointer, pathLength)
                // path_open's inputs and output live in a private scratch memory, not in the guest's.
                let scratch = GuestView(scratchBytes: path + [UInt8](repeating: 0, count: 8 + (8 - path.count % 8)))
                let fdSlot = UInt32((path.count + 7) / 8 * 8)
                let opened = try call(
                    open, scratch,
                    [
                        .i32(fd), .i32(1), .i32(0), .i32(pathLength), .i32(0), .i64(0), .i64(0), .i32(0), .i32(fdSlot),
                    ])
                guard opened == [.i32(0)] else { return opened }
                let newFD = scratch.loadU32(at: Int(fdSlot))
                defer { _ = try? call(close, scratch, [.i32(newFD)]) }
                return try call(fdFilestat, GuestView(memory: memory), [.i32(newFD), args[4]])
            }
        }
        if let symlink = functions["path_symlink"] {
            bound["path_symlink"] = HostFunction(params: [.i32, .i32, .i32, .i32, .i32], results: [.i32]) { caller, args in
                guard let memory = caller.memory else { throw UsageError("WASI needs the module to export its memory") }
                if case .i32(let target) = args[0], case .i32(let length) = args[1], length > 0,
                    try guestBytes(memory, target, 1) == [UInt8(ascii: "/")]
                {
                    return [.i32(63)]  // EPERM
                }
                return try call(symlink, GuestView(memory: memory), args)
            }
        }
        if let readlink = functions["path_readlink"] {
            bound["path_readlink"] = HostFunction(params: [.i32, .i32, .i32, .i32, .i32, .i32], results: [.i32]) { caller, args in
                guard let memory = caller.memory else { throw UsageError("WASI needs the module to export its memory") }
                guard case .i32(let pathPointer) = args[1], case .i32(let pathLength) = args[2],
                    case .i32(let buffer) = args[3], case .i32(let bufferLength) = args[4], case .i32(let used) = args[5]
                else { return [.i32(28)] }  // EINVAL
                // The target is read into a private scratch memory first (a Linux link target has
                // fewer than 4096 bytes) and reaches the guest only if it names no host path.
                let path = try guestBytes(memory, pathPointer, pathLength)
                let capacity = min(bufferLength, 4096)
                let pathSlot = 0, targetSlot = (path.count + 7) / 8 * 8, usedSlot = targetSlot + Int(capacity + 7) / 8 * 8
                let scratch = GuestView(scratchBytes: path + [UInt8](repeating: 0, count: usedSlot - path.count + 8))
                let result = try call(
                    readlink, scratch,
                    [args[0], .i32(UInt32(pathSlot)), .i32(pathLength), .i32(UInt32(targetSlot)), .i32(capacity), .i32(UInt32(usedSlot))])
                guard result == [.i32(0)] else { return result }
                let count = Int(scratch.loadU32(at: usedSlot))
                let target = scratch.bytes(at: targetSlot, count: count)
                if target.first == UInt8(ascii: "/") { return [.i32(63)] }  // EPERM
                do {
                    try memory.write(target, at: Int(buffer))
                    try memory.write(withUnsafeBytes(of: UInt32(count).littleEndian, Array.init), at: Int(used))
                } catch {
                    throw Trap(kind: .memoryOutOfBounds)
                }
                return [.i32(0)]
            }
        }
        return bound
    }

    /// Bytes the guest passed by pointer; out of bounds is the guest's trap.
    private static func guestBytes(_ memory: Memory, _ pointer: UInt32, _ length: UInt32) throws -> [UInt8] {
        do { return try memory.read(at: Int(pointer), count: Int(length)) } catch { throw Trap(kind: .memoryOutOfBounds) }
    }

    private static func valType(_ t: WasmTypes.ValueType) -> ValType? {
        switch t {
        case .i32: return .i32
        case .i64: return .i64
        case .f32: return .f32
        case .f64: return .f64
        default: return nil
        }
    }
}

/// Our linear memory as WASI's `GuestMemory` (or a private scratch buffer for
/// calls the host makes itself). WASI's accessors cannot fail, so an
/// out-of-bounds range gets zeroed scratch space instead of host memory, and
/// the call then traps (see `WASI.call`).
final class GuestView: GuestMemory, @unchecked Sendable {
    private let base: UnsafeMutableRawPointer
    private let size: Int
    /// Keeps the memory (or the scratch buffer) alive.
    private let owner: AnyObject
    private(set) var faulted = false
    private var scratch: [(UnsafeMutableRawPointer, Int)] = []

    private final class Buffer {
        let pointer: UnsafeMutableRawBufferPointer
        init(_ bytes: [UInt8]) {
            pointer = .allocate(byteCount: max(bytes.count, 1), alignment: 16)
            pointer.copyBytes(from: bytes)
        }
        deinit { pointer.deallocate() }
    }

    init(memory: Memory) {
        base = memory.baseAddress
        size = memory.byteCount
        owner = memory
    }

    init(scratchBytes bytes: [UInt8]) {
        let buffer = Buffer(bytes)
        base = buffer.pointer.baseAddress!
        size = bytes.count
        owner = buffer
    }

    func bytes(at offset: Int, count: Int) -> [UInt8] {
        precondition(offset >= 0 && count >= 0 && offset + count <= size)
        return Array(UnsafeRawBufferPointer(start: base + offset, count: count))
    }

    func loadU32(at offset: Int) -> UInt32 {
        precondition(offset >= 0 && offset + 4 <= size)
        return base.loadUnaligned(fromByteOffset: offset, as: UInt32.self)
    }

    func withUnsafeMutableBufferPointer<T>(offset: UInt, count: Int, _ body: (UnsafeMutableRawBufferPointer) throws -> T) rethrows -> T {
        let size = UInt(self.size)
        if count >= 0, offset <= size, UInt(count) <= size - offset {
            return try body(UnsafeMutableRawBufferPointer(start: base + Int(offset), count: count))
        }
        faulted = true
        let length = max(count, 1)
        let pointer = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let pointer, pointer != MAP_FAILED else {
            return try body(UnsafeMutableRawBufferPointer(start: nil, count: 0))
        }
        scratch.append((pointer, length))
        return try body(UnsafeMutableRawBufferPointer(start: pointer, count: max(count, 0)))
    }

    func releaseScratch() {
        for (pointer, length) in scratch { munmap(pointer, length) }
        scratch.removeAll()
    }
}

extension Module {
    /// Whether the module imports anything from WASI preview1.
    public var importsWASI: Bool { imports.contains { $0.module == WASI.moduleName } }
}
