/// Version of the compiler, recorded in every module it produces.
public enum CompilerInfo {
    public static let versionNumber = "0.1.0"
    public static let version = "wasmaot \(versionNumber)"
}
