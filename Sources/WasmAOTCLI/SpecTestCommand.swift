import ArgumentParser
import Foundation
import Synchronization
import WasmAOTCompiler
import WasmAOTSpecTest

/// `wasmaot spectest`: runs official `.wast` files through the AOT pipeline,
/// files in parallel child processes (a crash in one cannot take down the run).
struct SpecTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spectest", abstract: "Run WebAssembly spec tests (.wast files or folders) through the AOT pipeline.")

    @Argument(help: "Files or folders of .wast files.") var paths: [String]
    @Flag(help: "Print every failure.") var verbose = false
    @Option(name: .shortAndLong, help: "Files run in parallel (default: number of cores).") var jobs: Int?
    @Option(name: .customShort("O", allowingJoined: true), help: "Optimisation level used for the modules.") var optimization: Int = 2
    @Option(help: "Expectations file: files that do not pass fully yet, with their pass counts. Fails on any regression.")
    var expectations: String?
    @Option(help: "Skip files whose name starts with this prefix (repeatable), e.g. simd_.") var skip: [String] = []
    @Option(help: "Bounds checks of the compiled modules: guard-pages or explicit.") var bounds: BoundsChecks = .guardPages
    @Flag(help: "Compile the modules with interruption polls (wasmaot compile --interruptible).") var interruptible = false
    @Flag(help: .hidden) var single = false

    func run() throws {
        if single {
            var options = SpecTestRunner.Options()
            options.compile.optimization = optimization
            options.compile.bounds = bounds
            options.compile.interruptible = interruptible
            options.verbose = verbose
            let runner = SpecTestRunner(options: options)
            for path in paths {
                let r = runner.run(file: path)
                if verbose { for f in r.failures { print("  \(r.file): \(f)") } }
                print("RESULT\t\(r.file)\t\(r.passed)\t\(r.failed)\t\(r.skipped)")
            }
            return
        }
        var files: [String] = []
        for path in paths {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { fail("no such file or folder: \(path)") }
            if isDir.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                files += names.filter { $0.hasSuffix(".wast") }.sorted().map { (path as NSString).appendingPathComponent($0) }
            } else {
                files.append(path)
            }
        }
        let skipped = files.filter { f in skip.contains { (f as NSString).lastPathComponent.hasPrefix($0) } }
        files.removeAll { skipped.contains($0) }

        let results = runInChildren(files)
        var passed = 0, failed = 0, skippedDirectives = 0
        for r in results {
            passed += r.passed
            failed += r.failed
            skippedDirectives += r.skipped
            print("\(r.name)  \(r.passed) passed, \(r.failed) failed" + (r.skipped > 0 ? ", \(r.skipped) skipped" : ""))
            if verbose || (r.failed > 0 && files.count == 1) { for line in r.output where line.hasPrefix("  ") { print(line) } }
        }
        var regressions: [String] = []
        var known = 0
        if let expectations {
            (regressions, known) = check(results, against: expectations)
            for r in regressions { print("REGRESSION: \(r)") }
            if known > 0 { print("known failures (listed in \(expectations)): \(known)") }
        }
        // Skipped: whole files (by --skip) plus directives that could not be checked.
        // Known failures listed in the expectations file are reported above and counted as skipped.
        failed -= known
        let skipCount = skipped.count + skippedDirectives + known
        let skipText = skipCount == 0 ? "" : ", \(skipCount) skipped"
        if !skipped.isEmpty { print("skipped files: \(skipped.map { ($0 as NSString).lastPathComponent }.joined(separator: " "))") }
        print("\(passed) passed, \(failed) failed\(skipText)")
        if !regressions.isEmpty || failed > 0 { throw ExitCode(1) }
    }

    struct FileResult: Sendable {
        var name: String
        var passed = 0
        var failed = 0
        var skipped = 0
        var output: [String] = []
    }

    func runInChildren(_ files: [String]) -> [FileResult] {
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).path
        let executable = FileManager.default.isExecutableFile(atPath: me) ? me : ProcessInfo.processInfo.arguments[0]
        let width = max(1, jobs ?? ProcessInfo.processInfo.activeProcessorCount)
        struct Queue { var next = 0; var results: [FileResult?] }
        let queue = Mutex(Queue(results: [FileResult?](repeating: nil, count: files.count)))
        let group = DispatchGroup()
        for _ in 0..<min(width, max(files.count, 1)) {
            group.enter()
            Thread.detachNewThread {
                while true {
                    let i = queue.withLock { q in
                        defer { q.next += 1 }
                        return q.next
                    }
                    if i >= files.count { break }
                    let r = runChild(executable, files[i])
                    queue.withLock { $0.results[i] = r }
                }
                group.leave()
            }
        }
        group.wait()
        let results = queue.withLock { $0.results }
        return results.compactMap { $0 }
    }

    func runChild(_ executable: String, _ file: String) -> FileResult {
        let name = (file as NSString).lastPathComponent
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["spectest", "--single", "--verbose", "-O", "\(optimization)", "--bounds", bounds.rawValue] + (interruptible ? ["--interruptible"] : []) + [file]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch { return FileResult(name: name, failed: 1, output: ["  cannot start: \(error)"]) }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let lines = String(decoding: data, as: UTF8.self).split(separator: "\n").map(String.init)
        var result = FileResult(name: name, output: lines)
        if let last = lines.last(where: { $0.hasPrefix("RESULT\t") }) {
            let parts = last.split(separator: "\t")
            result.passed = Int(parts[2]) ?? 0
            result.failed = Int(parts[3]) ?? 0
            result.skipped = parts.count > 4 ? Int(parts[4]) ?? 0 : 0
        } else {
            result.failed = max(result.failed, 1)
            result.output.append("  runner died (status \(process.terminationStatus))")
        }
        return result
    }

    /// Compares with the expectations file (`name passed reason...` per line, `#` comments).
    func check(_ results: [FileResult], against path: String) -> (regressions: [String], knownFailures: Int) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return (["cannot read \(path)"], 0) }
        var expected: [String: Int] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ", maxSplits: 2)
            if parts.count >= 2, let n = Int(parts[1]) { expected[String(parts[0])] = n }
        }
        var problems: [String] = []
        var known = 0
        for r in results {
            if let n = expected[r.name] {
                if r.passed < n { problems.append("\(r.name): \(r.passed) passed, expected at least \(n)") }
                else { known += r.failed }
            } else if r.failed > 0 {
                problems.append("\(r.name): \(r.failed) failed, expected to pass fully")
            }
        }
        return (problems, known)
    }
}
