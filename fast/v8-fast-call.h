// The part of V8's fast API call declarations the accelerator uses, written
// for the V8 majors of Node 20, 22 and 24 (11.3, 12.4, 13.6).
//
// Node ships V8's headers but not this one, so the declarations are the
// accelerator's own. V8 reads them by layout: each was checked against the
// Node binaries of these majors (the constructor's symbol in each binary's
// dynamic symbol table; the type codes and layout from the tables Node builds
// for its own fast functions, read back at run time). A major not listed here
// is refused at compile time: its layout has not been checked.

#ifndef MOKA_JS_V8_FAST_CALL_H_
#define MOKA_JS_V8_FAST_CALL_H_

#include <cstddef>
#include <cstdint>

#include "v8-version.h"
#include "v8config.h"

#if !(V8_MAJOR_VERSION == 11 && V8_MINOR_VERSION == 3) && \
    !(V8_MAJOR_VERSION == 12 && V8_MINOR_VERSION == 4) && \
    !(V8_MAJOR_VERSION == 13 && V8_MINOR_VERSION == 6)
#error "fast calls: declarations checked for V8 11.3, 12.4 and 13.6 only"
#endif

namespace v8 {

// One argument's or the result's type: three bytes (type, sequence type,
// flags); the accelerator uses scalars without flags only.
class CTypeInfo {
 public:
  enum class Type : uint8_t {
    kVoid = 0,
    kBool = 1,
    kInt32 = 3,
    kUint32 = 4,
    kFloat64 = 8,
    kV8Value = 10,
    kSeqOneByteString = 11,
  };
  constexpr explicit CTypeInfo(Type type) : type_(type), sequence_type_(0), flags_(0) {}

 private:
  Type type_;
  uint8_t sequence_type_;
  uint8_t flags_;
};
static_assert(sizeof(CTypeInfo) == 3, "CTypeInfo is three bytes in V8 11.3 to 13.6");

// A flat one-byte (Latin-1) string argument.
struct FastOneByteString {
  const char* data;
  uint32_t length;
};

// A fast function's signature: its result, then its arguments (the receiver
// first). Built by V8's own constructor, which gained the representation of
// 64-bit integers in V8 12 (unused here: no 64-bit integer crosses).
class V8_EXPORT CFunctionInfo {
 public:
#if V8_MAJOR_VERSION >= 12
  enum class Int64Representation : uint8_t { kNumber = 0 };
  CFunctionInfo(const CTypeInfo& return_info, unsigned int arg_count, const CTypeInfo* arg_info,
                Int64Representation repr);
#else
  CFunctionInfo(const CTypeInfo& return_info, unsigned int arg_count, const CTypeInfo* arg_info);
#endif

 private:
  const CTypeInfo return_info_;
  const uint8_t repr_;  // padding before V8 12
  const unsigned int arg_count_;
  const CTypeInfo* arg_info_;
};
static_assert(sizeof(CFunctionInfo) == 16, "CFunctionInfo is 16 bytes in V8 11.3 to 13.6");

// A fast function: its address and signature; FunctionTemplate::New copies it.
class V8_EXPORT CFunction {
 public:
  CFunction(const void* address, const CFunctionInfo* type_info);

 private:
  const void* address_;
  const CFunctionInfo* type_info_;
};
static_assert(sizeof(CFunction) == 16, "CFunction is two pointers");

// A signature in V8's form (V8 keeps a pointer to it: give it static storage).
inline CFunctionInfo MakeCFunctionInfo(const CTypeInfo& result, unsigned int count,
                                       const CTypeInfo* args) {
#if V8_MAJOR_VERSION >= 12
  return CFunctionInfo(result, count, args, CFunctionInfo::Int64Representation::kNumber);
#else
  return CFunctionInfo(result, count, args);
#endif
}

}  // namespace v8

#endif  // MOKA_JS_V8_FAST_CALL_H_
