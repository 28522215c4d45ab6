#include "status.h"

namespace sk {

const char* code_name(Code code) {
  switch (code) {
    case Code::kOk: return "OK";
    case Code::kArgument: return "ERR_ARGUMENT";
    case Code::kShape: return "ERR_SHAPE";
    case Code::kDtype: return "ERR_DTYPE";
    case Code::kFormat: return "ERR_FORMAT";
    case Code::kRange: return "ERR_RANGE";
    case Code::kUnsupported: return "ERR_UNSUPPORTED";
    case Code::kIo: return "ERR_IO";
    case Code::kCuda: return "ERR_CUDA";
    case Code::kNative: return "ERR_NATIVE";
  }
  return "ERR_NATIVE";
}

}  // namespace sk
