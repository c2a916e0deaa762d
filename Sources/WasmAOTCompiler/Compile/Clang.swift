import Foundation
import Synchronization

/// Finding and running the C compiler.
enum Clang {
    /// The clang to use: an explicit path, `$WASMAOT_CC`, the one beside the
    /// running Swift toolchain, or `clang` on the PATH.
    static func locate(_ explicit: String?) throws(CompileError) -> String {
        let fm = FileManager.default
        if let explicit {
            guard fm.isExecutableFile(atPath: explicit) else { throw .badOptions("C compiler '\(explicit)' is not an executable file") }
            return explicit
        }
        let env = ProcessInfo.processInfo.environment
        if let cc = env["WASMAOT_CC"], !cc.isEmpty { return cc }
        var candidates: [String] = []
        for dir in (env["PATH"] ?? "").split(separator: ":") {
            candidates.append("\(dir)/clang")
        }
        candidates.append("/opt/swift/usr/bin/clang")
        candidates.append("/usr/bin/clang")
        for candidate in candidates where fm.isExecutableFile(atPath: candidate) {
            return candidate
        }
        throw .badOptions("no clang found: set WASMAOT_CC or put the Swift toolchain's clang on PATH")
    }

    /// What one clang invocation makes.
    enum Mode { case sharedObject, object, link }

    /// `soname` names a shared object (ELF targets): without one, the linker records the
    /// output path in the object, so the path's length would shift all code (and with it the
    /// speed of alignment-sensitive loops) and the same module built to two paths would give
    /// two different files. With it, a module's bytes depend only on its content.
    static func arguments(
        clang: String, options: CompileOptions, include: String, sources: [String], output: String, mode: Mode, soname: String? = nil
    ) -> [String] {
        var args: [String] = []
        if mode != .link {
            args += [
                "-std=c11", "-O\(options.optimization)", "-fPIC",
                "-fvisibility=hidden", "-fomit-frame-pointer", "-fasynchronous-unwind-tables", "-ffp-contract=off", "-fno-math-errno",
                // Unbounded recursion is wasm semantics (it traps when the stack runs out).
                "-Wall", "-Wextra", "-Wno-unused-function", "-Wno-infinite-recursion",
                "-I", include,
            ]
            if accepts(clang, keepColdCodeInline) { args += keepColdCodeInline }
            // The wasm was optimised by its producer (LLVM's -O2 for clang, rustc, zig): unrolling
            // its loops again, the vectorisers (the access barriers leave them little) and
            // constraint elimination repeat that work, costing compile time without making the
            // code faster. With explicit bounds checks constraint elimination removes repeated
            // checks, so that mode keeps clang's whole -O2, and -O3 is clang's whole -O3.
            // (The measurements: Benchmarks/README.md, "Why the code is as it is".)
            if options.optimization == 2 && options.bounds == .guardPages {
                args += ["-fno-unroll-loops", "-fno-vectorize", "-fno-slp-vectorize"]
                if accepts(clang, noConstraintElimination) { args += noConstraintElimination }
            }
        }
        let hostArch = archOf(target: options.target)
        // Generated code has no stack checks: exhaustion must fault in the thread's guard
        // region (wasmaot_abi.h), so a frame larger than a page probes each page it allocates.
        if mode != .link && (hostArch == "x86_64" || hostArch == "aarch64") { args.append("-fstack-clash-protection") }
        switch mode {
        case .sharedObject, .link:
            args.append("-shared")
            let target = options.target ?? ""
            if let soname, !target.contains("apple"), !target.contains("windows") { args.append("-Wl,-soname,\(soname)") }
        case .object: args.append("-c")
        }
        if let target = options.target { args += ["--target=\(target)"] }
        switch (options.cpu, hostArch) {
        case (let cpu?, _): args.append("-march=\(cpu)")
        // -march=x86-64-v2 alone also tunes for that pseudo-CPU, whose scheduling model is a
        // poor fit for current CPUs and slows some hot loops badly: tune for current CPUs instead.
        case (nil, "x86_64"): args += ["-march=x86-64-v2", "-mtune=generic"]
        case (nil, "aarch64"): args.append("-march=armv8-a")
        default: break
        }
        args += options.extraClangFlags
        args += ["-o", output] + sources
        return args
    }

    /// The Swift toolchain's clang outlines every cold path (each trap site) into a
    /// function of its own, `f.cold.1`, which codegen then handles like any other function.
    /// Kept inline — still laid out after the hot code — clang has no extra function to
    /// compile for each function with a trap site, so objects are smaller and compiles
    /// shorter, and every trap site lies inside its wasm function for backtraces.
    /// Upstream clang has no such option (and does not outline by default).
    static let keepColdCodeInline = ["-Xclang", "-fno-split-cold-code"]
    /// An LLVM option (LLVM 15 and later).
    static let noConstraintElimination = ["-mllvm", "-enable-constraint-elimination=false"]

    /// Options that not every clang has.
    static let optionalFlags = [keepColdCodeInline, noConstraintElimination]

    /// Whether `clang` accepts `flags`, one of ``optionalFlags``. They are probed once per
    /// compiler and process: in one clang run when it accepts them all (the Swift toolchain's
    /// does), else one run each.
    static func accepts(_ clang: String, _ flags: [String]) -> Bool {
        if let known = probes.withLock({ $0[clang] }) { return known.contains(flags) }
        func probe(_ flags: [String]) -> Bool { (try? run(clang, flags + ["-fsyntax-only", "-x", "c", "/dev/null"]).0) == 0 }
        let accepted = probe(optionalFlags.flatMap { $0 }) ? optionalFlags : optionalFlags.filter(probe)
        probes.withLock { $0[clang] = accepted }
        return accepted.contains(flags)
    }
    private static let probes = Mutex<[String: [[String]]]>([:])

    /// A faster allocator for clang, preloaded when installed: LLVM allocates
    /// heavily, and a big compile spends a noticeable share of its time in
    /// glibc's malloc, which mimalloc makes shorter.
    /// `$WASMAOT_CLANG_PRELOAD` names another library, or `none`.
    static let allocatorPreload: String? = {
        #if os(Linux)
            let fm = FileManager.default
            if let chosen = ProcessInfo.processInfo.environment["WASMAOT_CLANG_PRELOAD"], !chosen.isEmpty {
                return chosen == "none" || !fm.fileExists(atPath: chosen) ? nil : chosen
            }
            #if arch(x86_64)
                let multiarch = "/usr/lib/x86_64-linux-gnu"
            #else
                let multiarch = "/usr/lib/aarch64-linux-gnu"
            #endif
            let dirs = [multiarch, "/usr/lib64", "/usr/lib"]
            return dirs.map { $0 + "/libmimalloc.so.2" }.first { fm.fileExists(atPath: $0) }
        #else
            return nil
        #endif
    }()

    /// Runs clang; returns the command line, or throws its diagnostics.
    static func check(_ clang: String, _ arguments: [String]) throws(CompileError) -> String {
        var environment = ProcessInfo.processInfo.environment
        var prefix = ""
        if let preload = allocatorPreload {
            let value = [environment["LD_PRELOAD"], preload].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ":")
            environment["LD_PRELOAD"] = value
            prefix = "LD_PRELOAD=\(shellQuote(value)) "
        }
        let command = prefix + ([clang] + arguments).map(shellQuote).joined(separator: " ")
        let (status, log) = try run(clang, arguments, environment: environment)
        guard status == 0 else { throw .clangFailed(command: command, status: status, output: log) }
        return command
    }

    private static func archOf(target: String?) -> String {
        if let target { return String(target.split(separator: "-").first ?? "") }
        #if arch(x86_64)
            return "x86_64"
        #elseif arch(arm64)
            return "aarch64"
        #else
            return ""
        #endif
    }

    /// Runs the compiler; returns its status and combined output.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil
    ) throws(CompileError) -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { throw .io("cannot run '\(executable)': \(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func shellQuote(_ s: String) -> String {
        if s.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,+".contains($0) }) { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
