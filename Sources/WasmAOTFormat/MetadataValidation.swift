// Validation of ``ModuleMetadata``: every cross reference in range and every constant
// expression well typed, so that the loader can use the metadata without further checks.

extension ModuleMetadata {
    /// Checks that the metadata is internally consistent; ``decode(_:)`` calls it.
    ///
    /// Checks:
    /// - ``wasmSHA256`` has 32 bytes;
    /// - every type index (imports, ``functions``, reference types) is below `types.count`, and a
    ///   function type refers only to itself and earlier types;
    /// - table element types are reference types; limits have `min <= max`; table limits
    ///   fit in their address width and memory limits are at most ``maxMemoryPages``
    ///   (``maxMemory64Pages`` for a 64-bit memory);
    /// - export indices are in the index space of their kind, and export names are unique;
    /// - ``start`` is a function of type `() -> ()`;
    /// - constant expressions follow ``ConstExprContext``'s rules and leave one value of the
    ///   expected type:
    ///   `global.get` refers to an existing global (for a global initializer: an imported or
    ///   earlier global), `ref.func` to an existing function, `ref.null` to a reference type,
    ///   and `v128.const` holds 16 bytes;
    /// - element segments have a reference type; an active one targets an existing table whose
    ///   element type is a supertype, at an offset of the table's address type;
    /// - an active data segment targets an existing memory at an `i32` offset; every data
    ///   segment lies within ``dataBlob`` (without overflow);
    /// - ``functionNames`` is empty or has one entry per function in the index space;
    /// - ``tableInitializers`` is empty or has one entry per defined table, each producing the
    ///   table's element type; a table of a non-nullable type has one.
    ///
    /// - Throws: a ``MetadataError`` describing the first problem found. When the metadata
    ///   was decoded, ``MetadataError/offset`` is where the offending item starts.
    public func validate() throws(MetadataError) {
        try validate(locations: nil)
    }

    /// ``validate()``, with offsets for errors when `locations` are known.
    func validate(locations: MetadataLocations?) throws(MetadataError) {
        try MetadataValidator(self, locations: locations).run()
    }
}

private struct MetadataValidator {
    let m: ModuleMetadata
    let locations: MetadataLocations?
    let importedFunctionCount: Int
    let importedTableCount: Int
    let importedMemoryCount: Int
    let importedGlobalCount: Int
    let totalFunctionCount: Int
    /// Type of every global in the index space.
    let globalTypes: [GlobalType]
    /// What constant expressions may refer to, and their rules.
    let constants: ConstExprContext
    /// Type of every table in the index space.
    let tableTypes: [TableType]
    let totalMemoryCount: Int

    init(_ m: ModuleMetadata, locations: MetadataLocations?) {
        self.m = m
        self.locations = locations
        importedFunctionCount = m.importedFunctionCount
        importedTableCount = m.importedTableCount
        importedMemoryCount = m.importedMemoryCount
        importedGlobalCount = m.importedGlobalCount
        totalFunctionCount = m.totalFunctionCount
        totalMemoryCount = m.totalMemoryCount
        constants = ConstExprContext(m)
        globalTypes = constants.globals
        tableTypes = m.imports.compactMap { if case .table(let t) = $0.desc { t } else { nil } } + m.tables
    }

    // MARK: Errors

    /// Where an error is reported: a top-level field, or one item of a top-level list.
    enum Site {
        case field(MetadataField)
        case item(MetadataField, Int)
    }

    func failure(_ message: String, at site: Site) -> MetadataError {
        let offset: Int?
        switch site {
        case .field(let field):
            offset = locations?.fields[field]
        case .item(let field, let index):
            offset =
                locations?.items[field].flatMap { $0.indices.contains(index) ? $0[index] : nil }
                ?? locations?.fields[field]
        }
        return MetadataError(message, offset: offset)
    }

    // MARK: Checks

    func run() throws(MetadataError) {
        if m.wasmSHA256.count != 32 {
            throw failure("wasmSHA256 has \(plural(m.wasmSHA256.count, "byte")) but a SHA-256 has 32", at: .field(.wasmSHA256))
        }
        try checkTypes()
        try checkImports()
        try checkDefinitions()
        try checkExports()
        try checkStart()
        try checkElements()
        try checkData()
        if !m.functionNames.isEmpty && m.functionNames.count != totalFunctionCount {
            throw failure(
                "functionNames has \(plural(m.functionNames.count, "entry")) but the module has "
                    + "\(plural(totalFunctionCount, "function")) (expected 0 or \(totalFunctionCount))",
                at: .field(.functionNames))
        }
    }

    func checkImports() throws(MetadataError) {
        var counts: [ExternKind: Int] = [:]
        for (i, entry) in m.imports.enumerated() {
            let kind = entry.desc.kind
            let indexInSpace = counts[kind, default: 0]
            counts[kind, default: 0] += 1
            let what = { "import \(i) (\(quoted(entry.module)).\(quoted(entry.name)), \(kind) \(indexInSpace))" }
            switch entry.desc {
            case .function(let typeIndex): try checkTypeIndex(typeIndex, what(), at: .item(.imports, i))
            case .table(let table): try checkTable(table, what(), at: .item(.imports, i))
            case .memory(let limits): try checkMemory(limits, what(), at: .item(.imports, i))
            case .global(let global): try checkValType(global.type, what(), at: .item(.imports, i))
            case .tag(let typeIndex): try checkTag(typeIndex, what(), at: .item(.imports, i))
            }
        }
    }

    func checkDefinitions() throws(MetadataError) {
        for (i, typeIndex) in m.functions.enumerated() {
            try checkTypeIndex(typeIndex, "function \(importedFunctionCount + i) (defined function \(i))", at: .item(.functions, i))
        }
        for (i, table) in m.tables.enumerated() {
            try checkTable(table, "table \(importedTableCount + i)", at: .item(.tables, i))
        }
        for (i, limits) in m.memories.enumerated() {
            try checkMemory(limits, "memory \(importedMemoryCount + i)", at: .item(.memories, i))
        }
        for (i, typeIndex) in m.tags.enumerated() {
            try checkTag(typeIndex, "tag \(m.importedTagCount + i)", at: .item(.tags, i))
        }
        for (i, global) in m.globals.enumerated() {
            let index = importedGlobalCount + i
            try checkValType(global.type.type, "global \(index)", at: .item(.globals, i))
            try checkConstExpr(
                global.initializer, produces: global.type.type, at: .globalInitializer(global: index),
                reportedAt: .item(.globals, i))
        }
        if !m.tableInitializers.isEmpty && m.tableInitializers.count != m.tables.count {
            throw failure(
                "tableInitializers has \(plural(m.tableInitializers.count, "entry")) but the module defines "
                    + "\(plural(m.tables.count, "table")) (expected 0 or \(m.tables.count))",
                at: .field(.tableInitializers))
        }
        for (i, table) in m.tables.enumerated() where table.element.isReference {
            guard case .ref(let reference) = table.element, !reference.nullable else { continue }
            if i >= m.tableInitializers.count || m.tableInitializers[i] == nil {
                throw failure(
                    "table \(importedTableCount + i) holds \(table.element), which has no null, but has no initializer",
                    at: .item(.tables, i))
            }
        }
        for (i, initializer) in m.tableInitializers.enumerated() {
            guard let initializer else { continue }
            try checkConstExpr(
                initializer, produces: m.tables[i].element, at: .tableInitializer(table: importedTableCount + i),
                reportedAt: .item(.tableInitializers, i))
        }
    }

    func checkExports() throws(MetadataError) {
        let totalCounts: [ExternKind: Int] = [
            .function: totalFunctionCount, .table: tableTypes.count, .memory: totalMemoryCount, .global: globalTypes.count,
            .tag: m.totalTagCount,
        ]
        // Names are compared as UTF-8 bytes: Swift's String equality is Unicode-canonical.
        var exportNames: [[UInt8]: Int] = [:]
        for (i, export) in m.exports.enumerated() {
            let what = { "export \(i) (\(quoted(export.name)))" }
            let count = totalCounts[export.kind, default: 0]
            if Int(export.index) >= count {
                throw failure(
                    "\(what()) refers to \(export.kind) \(export.index) but the module has \(plural(count, "\(export.kind)"))",
                    at: .item(.exports, i))
            }
            if let first = exportNames.updateValue(i, forKey: Array(export.name.utf8)) {
                throw failure("\(what()) has the same name as export \(first)", at: .item(.exports, i))
            }
        }
    }

    func checkStart() throws(MetadataError) {
        if let start = m.start {
            if Int(start) >= totalFunctionCount {
                throw failure(
                    "the start function \(start) is out of range: the module has \(plural(totalFunctionCount, "function"))",
                    at: .field(.start))
            }
            let type = m.functionType(at: start)
            if !type.params.isEmpty || !type.results.isEmpty {
                throw failure(
                    "the start function \(start) has type \(describe(type)) but must have type () -> ()",
                    at: .field(.start))
            }
        }
    }

    func checkElements() throws(MetadataError) {
        for (i, segment) in m.elements.enumerated() {
            let site = Site.item(.elements, i)
            let what = "element segment \(i)"
            if !segment.elementType.isReference {
                throw failure("\(what) has element type \(segment.elementType), which is not a reference type", at: site)
            }
            try checkValType(segment.elementType, what, at: site)
            if case .active(let table, let offset) = segment.mode {
                guard Int(table) < tableTypes.count else {
                    throw failure(
                        "\(what) refers to table \(table) but the module has \(plural(tableTypes.count, "table"))", at: site)
                }
                let tableElement = tableTypes[Int(table)].element
                if !constants.matches(segment.elementType, tableElement) {
                    throw failure(
                        "\(what) has element type \(segment.elementType) but table \(table) holds \(tableElement)", at: site)
                }
                let address: ValType = tableTypes[Int(table)].limits.is64 ? .i64 : .i32
                try checkConstExpr(offset, produces: address, at: .elementOffset(segment: i), reportedAt: site)
            }
            for (j, item) in segment.items.enumerated() {
                try checkConstExpr(item, produces: segment.elementType, at: .elementItem(segment: i, item: j), reportedAt: site)
            }
        }
    }

    func checkData() throws(MetadataError) {
        for (i, segment) in m.data.enumerated() {
            let site = Site.item(.data, i)
            let what = "data segment \(i)"
            if case .active(let memory, let offset) = segment.mode {
                guard Int(memory) < totalMemoryCount else {
                    throw failure(
                        "\(what) refers to memory \(memory) but the module has \(plural(totalMemoryCount, "memory"))", at: site)
                }
                let address: ValType = m.memoryLimits(at: memory).is64 ? .i64 : .i32
                try checkConstExpr(offset, produces: address, at: .dataOffset(segment: i), reportedAt: site)
            }
            let (end, overflow) = segment.blobOffset.addingReportingOverflow(segment.length)
            if overflow || end > UInt64(m.dataBlob.count) {
                throw failure(
                    "\(what) covers bytes \(segment.blobOffset) ..< \(overflow ? "(overflow)" : "\(end)") of the data blob, "
                        + "which has \(plural(m.dataBlob.count, "byte"))",
                    at: site)
            }
        }
    }

    /// A function type may refer only to itself and earlier types (each is its own recursion group).
    func checkTypes() throws(MetadataError) {
        for (i, type) in m.types.enumerated() {
            for case .ref(let reference) in type.params + type.results {
                if case .concrete(let index) = reference.heap, Int(index) > i {
                    throw failure("type \(i) refers to type \(index), which is not defined before it", at: .item(.types, i))
                }
            }
        }
    }

    /// A value type's type index, if any, is in range.
    func checkValType(_ type: ValType, _ what: @autoclosure () -> String, at site: Site) throws(MetadataError) {
        if case .ref(let reference) = type, case .concrete(let index) = reference.heap {
            try checkTypeIndex(index, what(), at: site)
        }
    }

    func checkTypeIndex(_ typeIndex: UInt32, _ what: @autoclosure () -> String, at site: Site) throws(MetadataError) {
        if Int(typeIndex) >= m.types.count {
            throw failure("\(what()) has type index \(typeIndex) but the module has \(plural(m.types.count, "type"))", at: site)
        }
    }

    /// A tag's type is a function type without results: the payload is its parameters.
    func checkTag(_ typeIndex: UInt32, _ what: @autoclosure () -> String, at site: Site) throws(MetadataError) {
        try checkTypeIndex(typeIndex, what(), at: site)
        if !m.types[Int(typeIndex)].results.isEmpty {
            throw failure("\(what()) has type \(describe(m.types[Int(typeIndex)])), which has results", at: site)
        }
    }

    func checkLimits(
        _ limits: Limits, upTo maximum: UInt64, unit: String, _ what: @autoclosure () -> String, at site: Site
    ) throws(MetadataError) {
        if let max = limits.max, limits.min > max {
            throw failure("\(what()) has minimum \(limits.min) greater than its maximum \(max)", at: site)
        }
        let bounds: [(String, UInt64?)] = [("minimum", limits.min), ("maximum", limits.max)]
        for (label, value) in bounds {
            if let value, value > maximum {
                throw failure("\(what()) has \(label) \(value), more than the limit of \(maximum) \(unit)", at: site)
            }
        }
    }

    func checkTable(_ table: TableType, _ what: @autoclosure () -> String, at site: Site) throws(MetadataError) {
        if !table.element.isReference {
            throw failure("\(what()) has element type \(table.element), which is not a reference type", at: site)
        }
        try checkValType(table.element, what(), at: site)
        try checkLimits(table.limits, upTo: table.limits.is64 ? UInt64.max : UInt64(UInt32.max), unit: "elements", what(), at: site)
    }

    func checkMemory(_ limits: Limits, _ what: @autoclosure () -> String, at site: Site) throws(MetadataError) {
        let maximum = limits.is64 ? ModuleMetadata.maxMemory64Pages : ModuleMetadata.maxMemoryPages
        try checkLimits(limits, upTo: maximum, unit: "pages", what(), at: site)
    }

    /// Checks a constant expression with the module's one set of rules (``ConstExprContext``).
    func checkConstExpr(
        _ expr: ConstExpr, produces expected: ValType, at exprSite: ConstExprSite, reportedAt site: Site
    ) throws(MetadataError) {
        do {
            try constants.check(expr, produces: expected, at: exprSite)
        } catch {
            throw failure(error.description, at: site)
        }
    }
}

// MARK: - Wording

/// `'name'`, or a Swift string literal with escapes when the name has control characters.
private func quoted(_ name: String) -> String {
    name.unicodeScalars.contains { $0.properties.generalCategory == .control || $0 == "'" }
        ? name.debugDescription : "'\(name)'"
}

private func describe(_ type: FuncType) -> String {
    "(\(type.params.map { "\($0)" }.joined(separator: ", "))) -> (\(type.results.map { "\($0)" }.joined(separator: ", ")))"
}
