// Read-only memory maps of model files. Weights are used in place from the map: nothing is
// copied into the JS heap or into native buffers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace tokenflow {

// One file mapped read-only for the life of the object.
class MappedFile {
 public:
  // Throws std::runtime_error naming the file on failure. `populate` pre-faults the pages
  // (MAP_POPULATE) so that the first forward pass does not pay for reading the file.
  MappedFile(const std::string& path, bool populate);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Maps each distinct path once.
class MappedFiles {
 public:
  explicit MappedFiles(bool populate) : populate_(populate) {}
  // Returns a pointer to [offset, offset + bytes) of `path`, or throws when the range does
  // not lie inside the file.
  const uint8_t* range(const std::string& path, uint64_t offset, uint64_t bytes);

 private:
  bool populate_;
  std::map<std::string, std::unique_ptr<MappedFile>> files_;
};

}  // namespace tokenflow
