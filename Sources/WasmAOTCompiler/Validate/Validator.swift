import WasmParser
import WasmTypes

import struct WasmAOTFormat.ConstExprContext
import enum WasmAOTFormat.ConstExprSite
import struct WasmAOTFormat.FuncType
import struct WasmAOTFormat.TypeClasses

/// Why a module is invalid: the rule it breaks (worded as in the official test
/// suite's `assert_invalid`), where, and a human-readable detail.
public struct ValidationError: Error, CustomStringConvertible, Sendable {
    /// The broken rule; its ``ValidationRule/rawValue`` is the spec's wording, e.g. "type mismatch".
    public var rule: ValidationRule
    /// The function's index in the function index space (imports first), when the error is inside a body.
    public var function: Int?
    /// Byte offset of the offending instruction or item, where known.
    public var offset: Int?
    /// What exactly is wrong, e.g. "expected i32 but found f64 (operand 2 of i32.add)".
    public var detail: String

    public init(rule: ValidationRule, function: Int? = nil, offset: Int? = nil, detail: String) {
        self.rule = rule
        self.function = function
        self.offset = offset
        self.detail = detail
    }

    /// `invalid module: <rule> in function N at offset 0xX: <detail>`; a module that is valid but
    /// uses a proposal the compiler does not implement reads `unsupported feature: <feature>
    /// (function N, offset 0xX): <detail>`.
    public var description: String {
        let place = [function.map { "function \($0)" }, offset.map { "offset 0x\(String($0, radix: 16))" }].compactMap { $0 }
        var text: String
        if case .unsupported = rule {
            text = "\(rule)" + (place.isEmpty ? "" : " (\(place.joined(separator: ", ")))")
        } else {
            text = "invalid module: \(rule)"
            if let function { text += " in function \(function)" }
            if let offset { text += " at offset 0x\(String(offset, radix: 16))" }
        }
        if !detail.isEmpty { text += ": \(detail)" }
        return text
    }
}

/// The rules a module can break. The raw value is the rule's wording in the official test
/// suite's `assert_invalid` (which starts with it, e.g. "unknown memory 0"), and the text
/// ``ValidationError`` prints.
public enum ValidationRule: Hashable, Sendable, RawRepresentable, CaseIterable, CustomStringConvertible {
    case typeMismatch
    case unknownLocal
    case unknownFunction
    case unknownGlobal
    case unknownTable
    case unknownMemory
    case unknownType
    case unknownData
    case unknownElem
    case unknownLabel
    case unknownTag
    case tagResults
    case invalidRethrowLabel
    case immutableGlobal
    case alignment
    case invalidLane
    case offsetRange
    case duplicateExport
    case constantRequired
    case undeclaredFunctionReference
    case multipleMemories
    case limitsOrder
    case memorySize
    case tableSize
    case startFunction
    case invalidResultArity
    case dataCountRequired
    case unexpectedEnd
    case trailingInstructions
    case elseWithoutIf
    /// A non-nullable reference local read before it is set.
    case uninitializedLocal
    /// An instruction the decoder reads that no supported feature defines.
    case unsupportedInstruction
    /// A proposal beyond WebAssembly 2.0 that validation does not accept yet.
    case unsupported(ValidatorFeature)

    public var rawValue: String {
        switch self {
        case .typeMismatch: "type mismatch"
        case .unknownLocal: "unknown local"
        case .unknownFunction: "unknown function"
        case .unknownGlobal: "unknown global"
        case .unknownTable: "unknown table"
        case .unknownMemory: "unknown memory"
        case .unknownType: "unknown type"
        case .unknownData: "unknown data segment"
        case .unknownElem: "unknown elem segment"
        case .unknownLabel: "unknown label"
        case .unknownTag: "unknown tag"
        case .tagResults: "non-empty tag result type"
        case .invalidRethrowLabel: "invalid rethrow label"
        case .immutableGlobal: "global is immutable"
        case .alignment: "alignment must not be larger than natural"
        case .invalidLane: "invalid lane index"
        case .offsetRange: "offset out of range"
        case .duplicateExport: "duplicate export name"
        case .constantRequired: "constant expression required"
        case .undeclaredFunctionReference: "undeclared function reference"
        case .multipleMemories: "multiple memories"
        case .limitsOrder: "size minimum must not be greater than maximum"
        case .memorySize: "memory size must be at most 65536 pages (4GiB)"
        case .tableSize: "table size must be at most 2^32-1"
        case .startFunction: "start function"
        case .invalidResultArity: "invalid result arity"
        case .dataCountRequired: "data count section required"
        case .unexpectedEnd: "unexpected end of section or function"
        case .trailingInstructions: "section size mismatch"
        case .elseWithoutIf: "else without if"
        case .uninitializedLocal: "uninitialized local"
        case .unsupportedInstruction: "unsupported instruction"
        case .unsupported(let feature): "unsupported feature: \(feature.rawValue)"
        }
    }

    /// The rule worded `rawValue`, if any.
    public init?(rawValue: String) {
        guard let rule = Self.allCases.first(where: { $0.rawValue == rawValue }) else { return nil }
        self = rule
    }

    public static var allCases: [ValidationRule] {
        [
            .typeMismatch, .unknownLocal, .unknownFunction, .unknownGlobal, .unknownTable, .unknownMemory,
            .unknownType, .unknownData, .unknownElem, .unknownLabel, .unknownTag, .tagResults, .invalidRethrowLabel, .immutableGlobal,
            .alignment, .invalidLane,
            .offsetRange, .duplicateExport, .constantRequired, .undeclaredFunctionReference, .multipleMemories,
            .limitsOrder, .memorySize, .tableSize, .startFunction, .invalidResultArity, .dataCountRequired,
            .unexpectedEnd, .trailingInstructions, .elseWithoutIf, .uninitializedLocal, .unsupportedInstruction,
        ] + ValidatorFeature.allCases.map(Self.unsupported)
    }

    public var description: String { rawValue }
}

/// Validates modules against the WebAssembly 2.0 "Validation" chapter (MVP,
/// multi-value, reference types, bulk memory, sign extension, non-trapping
/// float-to-int, extended constant expressions) and the 3.0 proposals in
/// ``supportedFeatures`` (with multi-memory and memory64, which need no switch). Other later
/// proposals are rejected with the rule "unsupported feature: <name>".
public enum Validator {
    /// Proposals beyond 2.0 that validation accepts. Adding one here also needs its
    /// typing in ``InstructionTypes`` / ``FunctionValidator``.
    static let supportedFeatures: Set<ValidatorFeature> = [.tailCall, .relaxedSimd, .exceptionHandling, .functionReferences]

    /// Throws the first rule the module breaks.
    /// `proposals`: with `version` 2.0, the later proposals to accept as well (a proposal's own
    /// test suite is written against 2.0 plus that proposal).
    public static func validate(
        _ module: WasmModule, version: WebAssemblyVersion = .v3, proposals: Set<ValidatorFeature> = []
    ) throws(ValidationError) {
        let context = ValidationContext(module, version: version, proposals: proposals)
        try context.validateModule(module)
        let importedCount = context.functionTypeIndices.count - module.functions.count
        for (i, body) in module.bodies.enumerated() {
            let functionIndex = importedCount + i
            guard let type = context.functionType(at: UInt32(truncatingIfNeeded: functionIndex)) else {
                throw ValidationError(
                    rule: ValidationRule.unknownType, function: functionIndex, offset: body.offset,
                    detail: "function \(functionIndex) has no valid type")
            }
            var validator = FunctionValidator(context: context, functionIndex: functionIndex, type: type, body: body)
            try validator.validate()
        }
    }
}

/// Everything about a module that validating an instruction needs: its index
/// spaces ("the context C" of the spec).
struct ValidationContext: Sendable {
    var types: [FunctionType]
    /// Which type indices denote the same type (for subtyping, `Subtyping.swift`).
    var typeClasses: TypeClasses
    /// Type index of every function, imports first.
    var functionTypeIndices: [TypeIndex]
    var tables: [TableType]
    var memories: [MemoryType]
    var globals: [GlobalType]
    /// Type index of every tag, imports first.
    var tagTypeIndices: [TypeIndex]
    /// Constant expressions may only read imported globals.
    var importedGlobalCount: Int
    var elementTypes: [ReferenceType]
    var dataSegmentCount: Int
    /// Whether the module has a data count section (needed by `memory.init` and `data.drop`).
    var hasDataCount: Bool
    /// The specification edition: under 2.0 every later proposal is unsupported.
    var version: WebAssemblyVersion
    /// Under 2.0: the later proposals accepted as well.
    var proposals: Set<ValidatorFeature>
    /// Functions that `ref.func` may name in a body: those referenced outside function
    /// bodies (element segments, exports, global initialisers).
    var declaredFunctions: Set<UInt32>

    init(_ module: WasmModule, version: WebAssemblyVersion = .v3, proposals: Set<ValidatorFeature> = []) {
        self.version = version
        self.proposals = proposals
        types = module.types
        // A type with no format type (GC) is rejected before any subtyping is asked.
        typeClasses = TypeClasses(module.types.map { FuncType($0) ?? FuncType(params: [], results: []) })
        functionTypeIndices = module.allFunctionTypeIndices
        tables = module.allTables
        memories = module.allMemories
        globals = module.allGlobals
        tagTypeIndices = module.allTagTypeIndices
        importedGlobalCount = module.importedGlobals.count
        elementTypes = module.elements.map(\.type)
        dataSegmentCount = module.dataCount.map { Int($0) } ?? module.data.count
        hasDataCount = module.dataCount != nil
        var declared = Set<UInt32>()
        func collect(_ expression: ConstExpression) {
            for instruction in expression {
                if case .refFunc(let index) = instruction { declared.insert(index) }
            }
        }
        for export in module.exports {
            if case .function(let index) = export.descriptor { declared.insert(index) }
        }
        for segment in module.elements {
            segment.initializer.forEach(collect)
            if case .active(_, let offset) = segment.mode { collect(offset) }
        }
        for global in module.globals { collect(global.initializer) }
        for table in module.tables { if let initializer = table.initializer { collect(initializer) } }
        for segment in module.data {
            if case .active(let active) = segment { collect(active.offset) }
        }
        declaredFunctions = declared
    }

    // MARK: Lookups (nil when out of range; never traps)

    func type(at index: UInt32) -> FunctionType? {
        let i = Int(index)
        return i < types.count ? types[i] : nil
    }

    func functionType(at index: UInt32) -> FunctionType? {
        let i = Int(index)
        guard i < functionTypeIndices.count else { return nil }
        return type(at: functionTypeIndices[i])
    }

    func tagType(at index: UInt32) -> FunctionType? {
        let i = Int(index)
        return i < tagTypeIndices.count ? type(at: tagTypeIndices[i]) : nil
    }

    func table(at index: UInt32) -> TableType? {
        let i = Int(index)
        return i < tables.count ? tables[i] : nil
    }

    func memory(at index: UInt32) -> MemoryType? {
        let i = Int(index)
        return i < memories.count ? memories[i] : nil
    }

    func global(at index: UInt32) -> GlobalType? {
        let i = Int(index)
        return i < globals.count ? globals[i] : nil
    }

    func elementType(at index: UInt32) -> ReferenceType? {
        let i = Int(index)
        return i < elementTypes.count ? elementTypes[i] : nil
    }

    // MARK: Module-level rules

    func validateModule(_ module: WasmModule) throws(ValidationError) {
        for (i, type) in module.types.enumerated() {
            for valueType in type.parameters + type.results {
                // Each type is a recursion group of its own: it may name itself and earlier types only.
                try checkValueType(valueType, in: "type \(i)", typeCount: i + 1)
            }
        }

        var importedFunctions = 0
        for entry in module.imports {
            let place = "import \"\(entry.module)\" \"\(entry.name)\""
            switch entry.descriptor {
            case .function(let typeIndex):
                guard type(at: typeIndex) != nil else {
                    throw error(ValidationRule.unknownType, "\(place) uses type \(typeIndex) (\(types.count) types)")
                }
                importedFunctions += 1
            case .table(let tableType): try checkTableType(tableType, in: place)
            case .memory(let memoryType): try checkMemoryType(memoryType, in: place)
            case .global(let globalType): try checkValueType(globalType.valueType, in: place)
            case .tag(let typeIndex): try checkTagType(typeIndex, in: place)
            }
        }

        for (i, typeIndex) in module.functions.enumerated() {
            guard type(at: typeIndex) != nil else {
                throw error(
                    ValidationRule.unknownType,
                    "function \(importedFunctions + i) uses type \(typeIndex) (\(types.count) types)")
            }
        }

        for (i, tag) in module.tags.enumerated() {
            try checkTagType(tag.type, in: "tag \(module.importedTags.count + i)")
        }

        for (i, table) in module.tables.enumerated() {
            let place = "table \(module.importedTables.count + i)"
            try checkTableType(table.type, in: place)
            if table.initializer != nil, !accepts(.functionReferences) {
                throw unsupported(.functionReferences, "\(place) has an initializer expression (WebAssembly 2.0)")
            }
            if table.initializer == nil, !table.type.elementType.isNullable {
                throw error(
                    ValidationRule.typeMismatch,
                    "\(place) holds \(table.type.elementType), which has no null, but has no initializer expression")
            }
        }

        for (i, memory) in module.memories.enumerated() {
            try checkMemoryType(memory.type, in: "memory \(module.importedMemories.count + i)")
        }
        if memories.count > 1, !accepts(.multiMemory) {
            throw error(ValidationRule.multipleMemories, "the module has \(memories.count) memories (WebAssembly 2.0 allows one)")
        }

        for (i, global) in module.globals.enumerated() {
            try checkValueType(global.type.valueType, in: "global \(importedGlobalCount + i)")
        }
        let constants = try constantContext()
        for (i, global) in module.globals.enumerated() {
            let index = importedGlobalCount + i
            try validateConstant(
                global.initializer, expected: global.type.valueType, at: .globalInitializer(global: index), constants)
        }
        // A table's initializer may read imported immutable globals (ConstExprContext's rule).
        for (i, table) in module.tables.enumerated() {
            guard let initializer = table.initializer else { continue }
            let index = module.importedTables.count + i
            try validateConstant(
                initializer, expected: .ref(table.type.elementType), at: .tableInitializer(table: index), constants)
        }

        // Names are compared as bytes: Swift's `String` equality would merge canonically
        // equivalent but differently encoded names, which are distinct in WebAssembly.
        var exportNames = Set<[UInt8]>()
        for export in module.exports {
            let place = "export \"\(export.name)\""
            switch export.descriptor {
            case .function(let index):
                guard Int(index) < functionTypeIndices.count else {
                    throw error(
                        ValidationRule.unknownFunction,
                        "\(place) names function \(index) (\(functionTypeIndices.count) functions)")
                }
            case .table(let index):
                guard table(at: index) != nil else {
                    throw error(ValidationRule.unknownTable, "\(place) names table \(index) (\(tables.count) tables)")
                }
            case .memory(let index):
                guard memory(at: index) != nil else {
                    throw error(ValidationRule.unknownMemory, "\(place) names memory \(index) (\(memories.count) memories)")
                }
            case .global(let index):
                guard global(at: index) != nil else {
                    throw error(ValidationRule.unknownGlobal, "\(place) names global \(index) (\(globals.count) globals)")
                }
            case .tag(let index):
                guard tagType(at: index) != nil else {
                    throw error(ValidationRule.unknownTag, "\(place) names tag \(index) (\(tagTypeIndices.count) tags)")
                }
            }
            guard exportNames.insert(Array(export.name.utf8)).inserted else {
                throw error(ValidationRule.duplicateExport, "\"\(export.name)\" is exported more than once")
            }
        }

        if let start = module.start {
            guard let type = functionType(at: start) else {
                throw error(ValidationRule.unknownFunction, "start function \(start) (\(functionTypeIndices.count) functions)")
            }
            guard type.parameters.isEmpty, type.results.isEmpty else {
                throw error(ValidationRule.startFunction, "start function \(start) has type \(type), expected () -> ()")
            }
        }

        for (i, segment) in module.elements.enumerated() {
            let place = "elem segment \(i)"
            try checkValueType(.ref(segment.type), in: place)
            for (j, item) in segment.initializer.enumerated() {
                try validateConstant(item, expected: .ref(segment.type), at: .elementItem(segment: i, item: j), constants)
            }
            if case .active(let tableIndex, let offset) = segment.mode {
                guard let table = table(at: tableIndex) else {
                    throw error(ValidationRule.unknownTable, "\(place) initializes table \(tableIndex) (\(tables.count) tables)")
                }
                guard matches(segment.type, table.elementType) else {
                    throw error(
                        ValidationRule.typeMismatch,
                        "\(place) of \(segment.type) initializes table \(tableIndex) of \(table.elementType)")
                }
                try validateConstant(
                    offset, expected: addressType(of: table.limits), at: .elementOffset(segment: i), constants)
            }
        }

        for (i, segment) in module.data.enumerated() {
            guard case .active(let active) = segment else { continue }
            let place = "data segment \(i)"
            guard let memory = memory(at: active.index) else {
                throw error(
                    ValidationRule.unknownMemory, "\(place) initializes memory \(active.index) (\(memories.count) memories)")
            }
            try validateConstant(active.offset, expected: addressType(of: memory), at: .dataOffset(segment: i), constants)
        }
    }

    func addressType(of limits: Limits) -> ValueType { limits.isMemory64 ? .i64 : .i32 }

    /// A value type of a proposal validation accepts, whose type index (if any) is below
    /// `typeCount` (default: every type of the module).
    func checkValueType(_ type: ValueType, in place: String, typeCount: Int? = nil) throws(ValidationError) {
        try require(InstructionTypes.proposal(type), "\(place) uses type \(type)")
        if case .ref(let reference) = type, case .concrete(let index) = reference.heapType, Int(index) >= typeCount ?? types.count {
            throw error(ValidationRule.unknownType, "\(place) uses type \(index), which is not defined before it")
        }
    }

    /// Throws "unsupported feature" unless `feature` is nil (WebAssembly 2.0) or supported.
    func require(_ feature: ValidatorFeature?, _ detail: @autoclosure () -> String) throws(ValidationError) {
        guard let feature, !supports(feature) else { return }
        throw unsupported(feature, detail())
    }

    /// Whether validation accepts a proposal: implemented, and in the version validated against.
    func supports(_ feature: ValidatorFeature) -> Bool {
        Validator.supportedFeatures.contains(feature) && accepts(feature)
    }

    /// Whether the version validated against (and the proposals added to 2.0) include a proposal.
    func accepts(_ feature: ValidatorFeature) -> Bool {
        version == .v3 || proposals.contains(feature)
    }

    /// A tag's type: a function type without results (the payload is its parameters).
    func checkTagType(_ typeIndex: TypeIndex, in place: String) throws(ValidationError) {
        try require(.exceptionHandling, "\(place) is a tag")
        guard let type = type(at: typeIndex) else {
            throw error(ValidationRule.unknownType, "\(place) uses type \(typeIndex) (\(types.count) types)")
        }
        guard type.results.isEmpty else {
            throw error(ValidationRule.tagResults, "\(place) has type \(type), which has results")
        }
    }

    func checkMemoryType(_ type: MemoryType, in place: String) throws(ValidationError) {
        if type.isMemory64, !accepts(.memory64) { throw unsupported(.memory64, "\(place) is a 64-bit memory (WebAssembly 2.0)") }
        if type.shared { throw unsupported(.threads, "\(place) is a shared memory") }
        try checkLimits(type, range: type.isMemory64 ? 1 << 48 : 1 << 16, rule: ValidationRule.memorySize, in: place)
    }

    func checkTableType(_ type: TableType, in place: String) throws(ValidationError) {
        try checkValueType(.ref(type.elementType), in: place)
        if type.limits.isMemory64, !accepts(.memory64) { throw unsupported(.memory64, "\(place) is a 64-bit table (WebAssembly 2.0)") }
        try checkLimits(
            type.limits, range: type.limits.isMemory64 ? UInt64.max : UInt64(UInt32.max), rule: ValidationRule.tableSize, in: place)
    }

    func checkLimits(_ limits: Limits, range: UInt64, rule: ValidationRule, in place: String) throws(ValidationError) {
        guard limits.min <= range else { throw error(rule, "\(place) has minimum size \(limits.min)") }
        if let max = limits.max {
            guard max <= range else { throw error(rule, "\(place) has maximum size \(max)") }
            guard limits.min <= max else {
                throw error(ValidationRule.limitsOrder, "\(place) has minimum \(limits.min) above maximum \(max)")
            }
        }
    }

    // MARK: Errors

    func error(_ rule: ValidationRule, _ detail: String) -> ValidationError {
        ValidationError(rule: rule, detail: detail)
    }

    func unsupported(_ feature: ValidatorFeature, _ detail: String) -> ValidationError {
        ValidationError(rule: .unsupported(feature), detail: detail)
    }
}
