#include "mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace tokenflow {

MappedFile::MappedFile(const std::string& path, bool populate) : path_(path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error("cannot open " + path + ": " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::runtime_error("cannot stat " + path + ": " + std::strerror(err));
  }
  size_ = static_cast<size_t>(st.st_size);
  if (size_ == 0) {
    ::close(fd);
    throw std::runtime_error(path + " is empty");
  }
  int flags = MAP_PRIVATE;
#ifdef MAP_POPULATE
  if (populate) flags |= MAP_POPULATE;
#endif
  void* p = ::mmap(nullptr, size_, PROT_READ, flags, fd, 0);
  const int err = errno;
  ::close(fd);
  if (p == MAP_FAILED) throw std::runtime_error("cannot map " + path + ": " + std::strerror(err));
  data_ = static_cast<const uint8_t*>(p);
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

const uint8_t* MappedFiles::range(const std::string& path, uint64_t offset, uint64_t bytes) {
  auto it = files_.find(path);
  if (it == files_.end()) {
    it = files_.emplace(path, std::make_unique<MappedFile>(path, populate_)).first;
  }
  const MappedFile& f = *it->second;
  if (offset > f.size() || bytes > f.size() - offset) {
    throw std::runtime_error("tensor data [" + std::to_string(offset) + ", +" + std::to_string(bytes) +
                             ") lies outside " + path + " (" + std::to_string(f.size()) + " bytes)");
  }
  return f.data() + offset;
}

}  // namespace tokenflow
