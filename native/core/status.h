// Status codes shared by the native layers. Kernels never see these; operators return them and the binding maps
// them onto SparseError codes (lib/errors.ts), so the enum order here is part of that contract.
#pragma once
#include <string>
#include <utility>

namespace sk {

enum class Code : int {
  kOk = 0,
  kArgument,     // ERR_ARGUMENT
  kShape,        // ERR_SHAPE
  kDtype,        // ERR_DTYPE
  kFormat,       // ERR_FORMAT
  kRange,        // ERR_RANGE
  kUnsupported,  // ERR_UNSUPPORTED
  kIo,           // ERR_IO
  kCuda,         // ERR_CUDA
  kNative,       // ERR_NATIVE
};

const char* code_name(Code code);

struct Status {
  Code code = Code::kOk;
  std::string message;

  static Status ok() { return Status(); }
  static Status error(Code code, std::string message) { return Status{code, std::move(message)}; }
  bool is_ok() const { return code == Code::kOk; }
};

}  // namespace sk
