#include "inventory.h"

namespace shop {

Inventory::Inventory(const std::string& path) {
  if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) {
    sqlite3_close(db_);
    db_ = nullptr;
    return;
  }
  sqlite3_busy_timeout(db_, 2000);
  Execute("CREATE TABLE IF NOT EXISTS items (sku TEXT PRIMARY KEY, quantity INTEGER)");
}

Inventory::~Inventory() { sqlite3_close(db_); }

bool Inventory::Execute(const std::string& sql) {
  return db_ != nullptr && sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
}

bool Inventory::Add(const std::string& sku, int quantity) {
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db_, "INSERT INTO items VALUES (?, ?)", -1, &statement, nullptr);
  sqlite3_bind_text(statement, 1, sku.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int(statement, 2, quantity);
  const bool done = sqlite3_step(statement) == SQLITE_DONE;
  sqlite3_finalize(statement);
  return done;
}

int Inventory::Count() const {
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db_, "SELECT COUNT(*) FROM items", -1, &statement, nullptr);
  const int count = sqlite3_step(statement) == SQLITE_ROW ? sqlite3_column_int(statement, 0) : -1;
  sqlite3_finalize(statement);
  return count;
}

int Inventory::Quantity(const std::string& sku) const {
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(db_, "SELECT quantity FROM items WHERE sku = ?", -1, &statement, nullptr);
  sqlite3_bind_text(statement, 1, sku.c_str(), -1, SQLITE_TRANSIENT);
  const int quantity =
      sqlite3_step(statement) == SQLITE_ROW ? sqlite3_column_int(statement, 0) : -1;
  sqlite3_finalize(statement);
  return quantity;
}

bool Inventory::Remove(const std::string& sku) {
  return Execute("DELETE FROM items WHERE sku = '" + sku + "'");
}

}  // namespace shop
