import GRDB

/// Fetches through GRDB's statement cache: an earn runs a dozen small queries, and preparing each
/// of them again every time cost more than the queries themselves.
extension Database {
  func cachedOne<T: DatabaseValueConvertible>(_: T.Type, sql: String, arguments: StatementArguments = []) throws -> T? {
    try T.fetchOne(cachedStatement(sql: sql), arguments: arguments)
  }

  func cachedAll<T: DatabaseValueConvertible>(_: T.Type, sql: String, arguments: StatementArguments = []) throws -> [T]
  {
    try T.fetchAll(cachedStatement(sql: sql), arguments: arguments)
  }

  func cachedOne<T: FetchableRecord>(_: T.Type, sql: String, arguments: StatementArguments = []) throws -> T? {
    try T.fetchOne(cachedStatement(sql: sql), arguments: arguments)
  }

  func cachedAll<T: FetchableRecord>(_: T.Type, sql: String, arguments: StatementArguments = []) throws -> [T] {
    try T.fetchAll(cachedStatement(sql: sql), arguments: arguments)
  }

  func cachedExecute(sql: String, arguments: StatementArguments = []) throws {
    try cachedStatement(sql: sql).execute(arguments: arguments)
  }
}

extension Database {
  func cachedRow(sql: String, arguments: StatementArguments = []) throws -> Row? {
    try Row.fetchOne(cachedStatement(sql: sql), arguments: arguments)
  }

  func cachedRows(sql: String, arguments: StatementArguments = []) throws -> [Row] {
    try Row.fetchAll(cachedStatement(sql: sql), arguments: arguments)
  }
}
