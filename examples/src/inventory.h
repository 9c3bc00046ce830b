#pragma once
#include <sqlite3.h>

#include <string>

namespace shop {
/// Stock levels in an SQLite database file.
class Inventory {
 public:
  /// Opens (creating if needed) the database at `path` and its `items` table.
  explicit Inventory(const std::string& path);
  ~Inventory();
  Inventory(const Inventory&) = delete;
  Inventory& operator=(const Inventory&) = delete;

  bool ok() const { return db_ != nullptr; }
  bool Add(const std::string& sku, int quantity);
  int Count() const;
  int Quantity(const std::string& sku) const;
  bool Remove(const std::string& sku);
  bool Execute(const std::string& sql);

 private:
  sqlite3* db_ = nullptr;
};
}  // namespace shop
