import Foundation
import Synchronization
import WasmAOTCompiler
import WasmAOTSpecTest

/// `wasmaot spectest`: official `.wast` files through the AOT pipeline, each file in a child
/// process (`wasmaot spectest --single FILE`, so a crash in one cannot take down the run),
/// `jobs` at once, checked against an expectations file.
public struct SpecTestSuite: Sendable {
    public var compile = CompileOptions()
    public var verbose = false
    /// Files run at once.
    public var jobs = ProcessInfo.processInfo.activeProcessorCount
    /// Files whose name starts with one of these are skipped.
    public var skip: [String] = []
    /// Files that do not pass fully yet, with their pass counts: `name passed reason…` per
    /// line, `#` comments. A file not listed must pass fully; a listed one must not pass fewer.
    public var expectations: String?
    /// The `wasmaot` executable that runs one file (`spectest --single`).
    public var executable: String

    public init(executable: String) { self.executable = executable }

    /// Runs every `.wast` file of `paths` (files, or folders read one level deep, sorted);
    /// prints a line per file and the totals to `output`; returns whether everything passed
    /// or failed only as expected. A file found in a folder is named with the folder's name
    /// (`core/binary.wast`, `legacy/throw.wast`), in the output and in the expectations file,
    /// so that several suites can run at once.
    public func run(_ paths: [String], output: (String) -> Void = { print($0) }) throws(CommandFailure) -> Bool {
        var files: [String] = []
        var names: [String: String] = [:]
        for path in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
                throw CommandFailure("no such file or folder: \(path)")
            }
            if isDir.boolValue {
                let folder = (path as NSString).standardizingPath
                let entries = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                for entry in entries.filter({ $0.hasSuffix(".wast") }).sorted() {
                    let file = (path as NSString).appendingPathComponent(entry)
                    files.append(file)
                    names[file] = (folder as NSString).lastPathComponent + "/" + entry
                }
            } else {
                files.append(path)
            }
        }
        let skipped = files.filter { f in skip.contains { (f as NSString).lastPathComponent.hasPrefix($0) } }
        files.removeAll { skipped.contains($0) }

        let results = runInChildren(files.map { ($0, names[$0] ?? ($0 as NSString).lastPathComponent) })
        var passed = 0, failed = 0, skippedDirectives = 0
        for r in results {
            passed += r.passed
            failed += r.failed
            skippedDirectives += r.skipped
            output("\(r.file)  \(r.passed) passed, \(r.failed) failed" + (r.skipped > 0 ? ", \(r.skipped) skipped" : ""))
            if verbose || (r.failed > 0 && files.count == 1) { r.failures.forEach(output) }
        }
        var regressions: [String] = []
        var known = 0
        if let expectations {
            guard let text = try? String(contentsOfFile: expectations, encoding: .utf8) else {
                throw CommandFailure("cannot read the expectations file '\(expectations)'")
            }
            (regressions, known) = Self.check(results, against: Self.parseExpectations(text))
            for r in regressions { output("REGRESSION: \(r)") }
            if known > 0 { output("known failures (listed in \(expectations)): \(known)") }
        }
        // Skipped: whole files (by `skip`), directives that could not be checked, and the
        // known failures listed in the expectations file.
        failed -= known
        let skipCount = skipped.count + skippedDirectives + known
        if !skipped.isEmpty { output("skipped files: \(skipped.map { ($0 as NSString).lastPathComponent }.joined(separator: " "))") }
        output("\(passed) passed, \(failed) failed" + (skipCount == 0 ? "" : ", \(skipCount) skipped"))
        return regressions.isEmpty && failed == 0
    }

    /// The expectations file's entries: file name → passes expected at least.
    public static func parseExpectations(_ text: String) -> [String: Int] {
        var expected: [String: Int] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ", maxSplits: 2)
            if parts.count >= 2, let n = Int(parts[1]) { expected[String(parts[0])] = n }
        }
        return expected
    }

    /// Regressions (a listed file passing fewer, an unlisted one failing) and the number of
    /// known failures (failures of listed files that pass at least as many as expected).
    public static func check(_ results: [SpecFileResult], against expected: [String: Int]) -> (regressions: [String], knownFailures: Int) {
        var problems: [String] = []
        var known = 0
        for r in results {
            if let n = expected[r.file] {
                if r.passed < n { problems.append("\(r.file): \(r.passed) passed, expected at least \(n)") } else { known += r.failed }
            } else if r.failed > 0 {
                problems.append("\(r.file): \(r.failed) failed, expected to pass fully")
            }
        }
        return (problems, known)
    }

    /// Runs one file in this process (the child's side): its result line and, verbose, its failures.
    public static func runSingle(_ path: String, compile: CompileOptions, verbose: Bool, output: (String) -> Void = { print($0) }) {
        var options = SpecTestRunner.Options()
        options.compile = compile
        options.verbose = verbose
        let r = SpecTestRunner(options: options).run(file: path)
        if verbose { for f in r.failures { output("  \(r.file): \(f)") } }
        output("RESULT\t\(r.file)\t\(r.passed)\t\(r.failed)\t\(r.skipped)")
    }

    /// The result a child reported in its last `RESULT` line (its failures are the lines indented
    /// by two spaces); a child that died without one failed.
    public static func parseChild(name: String, output text: String, status: Int32) -> SpecFileResult {
        let lines = text.split(separator: "\n").map(String.init)
        var result = SpecFileResult(file: name, failures: lines.filter { $0.hasPrefix("  ") })
        if let last = lines.last(where: { $0.hasPrefix("RESULT\t") }) {
            let parts = last.split(separator: "\t")
            result.passed = parts.count > 2 ? Int(parts[2]) ?? 0 : 0
            result.failed = parts.count > 3 ? Int(parts[3]) ?? 0 : 0
            result.skipped = parts.count > 4 ? Int(parts[4]) ?? 0 : 0
        } else {
            result.failed = 1
            result.failures.append("  runner died (status \(status))")
        }
        return result
    }

    private func runInChildren(_ files: [(path: String, name: String)]) -> [SpecFileResult] {
        struct Queue { var next = 0; var results: [SpecFileResult?] }
        let queue = Mutex(Queue(results: [SpecFileResult?](repeating: nil, count: files.count)))
        let group = DispatchGroup()
        for _ in 0..<min(max(1, jobs), max(files.count, 1)) {
            group.enter()
            Thread.detachNewThread {
                while true {
                    let i = queue.withLock { q in
                        defer { q.next += 1 }
                        return q.next
                    }
                    if i >= files.count { break }
                    let r = runChild(files[i].path, name: files[i].name)
                    queue.withLock { $0.results[i] = r }
                }
                group.leave()
            }
        }
        group.wait()
        return queue.withLock { $0.results }.compactMap { $0 }
    }

    private func runChild(_ file: String, name: String) -> SpecFileResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments =
            ["spectest", "--single", "--verbose", "-O", "\(compile.optimization)", "--bounds", compile.bounds.rawValue]
            + (compile.interruptible ? ["--interruptible"] : []) + ["--wasm", compile.version.rawValue]
            + compile.proposals.map(\.flagName).sorted().flatMap { ["--enable", $0] } + [file]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return SpecFileResult(file: name, failed: 1, failures: ["  cannot start: \(error)"]) }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Self.parseChild(name: name, output: String(decoding: data, as: UTF8.self), status: process.terminationStatus)
    }
}
