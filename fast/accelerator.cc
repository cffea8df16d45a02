// The accelerator: moka-js's hot cache methods as V8 fast API calls.
//
// Built once per V8 major, against that Node's headers (scripts/build-fast.mjs).
// It declares each method twice to V8: a fast function, which optimized code
// calls directly with the key as a flat one-byte string (or a double), and a
// callback for every other call (interpreted code, strings V8 does not hand
// over flat). Both read the cache's fast id and the key, then call the
// addon's table (src/fast/mod.rs), which runs the same core operation as the
// Node-API method, or answers NOT_TAKEN having done nothing: the JS layer then
// calls the Node-API method, which also throws whatever that call deserves.
// Nothing here runs JS, allocates on the V8 heap or throws.
//
// The table is found through `binding.fastAbi`, its address as a BigInt;
// `install` checks that this address is exactly the table's exported symbol
// in a loaded object before reading it, so that no other value can make it
// read memory. A cache is named by its fast id, a number (the addon's
// `fastId(cache)`), which the table checks like any id. Each call is handed
// the addon's context of this thread's environment, of which `install` takes
// a count and the environment's cleanup gives it back.

#include <dlfcn.h>

// dladdr at its first version, so that the build runs on glibc older than
// the build machine's (glibc 2.34 gave it a new default version).
#if defined(__GLIBC__) && defined(__x86_64__)
__asm__(".symver dladdr,dladdr@GLIBC_2.2.5");
#elif defined(__GLIBC__) && defined(__aarch64__)
__asm__(".symver dladdr,dladdr@GLIBC_2.17");
#endif

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <node.h>
#include <v8.h>

#include "v8-fast-call.h"

namespace moka_js_fast {

using v8::CFunction;
using v8::CTypeInfo;
using v8::FunctionCallbackInfo;
using v8::Local;
using v8::Value;

// Mirrors `fast::KeyArg` and `fast::Abi` (repr(C)) in src/fast/mod.rs.
struct KeyArg {
  uint32_t kind;
  uint32_t len;
  const void* data;
  double number;
};
constexpr uint32_t kKeyLatin1 = 0;
constexpr uint32_t kKeyUtf16 = 1;
constexpr uint32_t kKeyNumber = 2;

// The addon's context of an environment (`fast::Context`), opaque here.
struct Context;

// Entries for the callbacks, the key as they read it; and for the fast
// functions, the key in registers.
using Op = int32_t (*)(const Context* context, double id, const KeyArg* key);
using SetOp = int32_t (*)(const Context* context, double id, const KeyArg* key, double slot);
using Latin1Op = int32_t (*)(const Context* context, double id, const char* data, uint32_t len);
using Latin1SetOp = int32_t (*)(const Context* context, double id, const char* data, uint32_t len,
                                double slot);
using NumberOp = int32_t (*)(const Context* context, double id, double key);
using NumberSetOp = int32_t (*)(const Context* context, double id, double key, double slot);

struct Abi {
  char magic[8];
  uint32_t version;
  int32_t not_taken;
  const Context* (*attach)();
  void (*detach)(const Context* context);
  Op get;
  Op has;
  Op remove;
  SetOp set;
  Latin1Op get_latin1;
  Latin1Op has_latin1;
  Latin1Op remove_latin1;
  Latin1SetOp set_latin1;
  NumberOp get_number;
  NumberOp has_number;
  NumberOp remove_number;
  NumberSetOp set_number;
  double (*taken)(const Context* context, uint32_t which);
};
constexpr char kSymbol[] = "moka_js_fast_abi_v1";
constexpr uint32_t kVersion = 4;
constexpr int32_t kNotTaken = -2;
// Before V8 13, string keys up to this many units are copied onto the stack
// (the addon reads as many without allocating, src/key.rs); longer ones into
// a malloc'd buffer (libc's: the accelerator links no C++ runtime).
constexpr int kStackKeyUnits = 255;

// The one table of this process (one addon per accelerator file).
std::atomic<const Abi*> abi{nullptr};

inline const Abi* Table() { return abi.load(std::memory_order_acquire); }

// The context of this thread's environment, or null: set by `install`, which
// holds a count of it until the environment's cleanup hook (`Detach`). Read on
// every call, so initial-exec: a load from the thread pointer, where a
// thread-local of an object loaded with dlopen is otherwise reached by a call
// to __tls_get_addr. (glibc keeps static TLS room for such objects.)
constinit thread_local const Context* env_context __attribute__((tls_model("initial-exec"))) = nullptr;

// The cleanup hook of `install`: the count it took of `arg` is given back.
void Detach(void* arg) {
  const Context* attached = static_cast<const Context*>(arg);
  if (env_context == attached) env_context = nullptr;
  Table()->detach(attached);
}

inline KeyArg Number(double key) { return KeyArg{kKeyNumber, 0, nullptr, key}; }

// Fast functions: (receiver, cache's fast id, key[, slot]).
template <Latin1Op Abi::*op>
int32_t FastString(Local<Value>, double id, const v8::FastOneByteString& key) {
  return (Table()->*op)(env_context, id, key.data, key.length);
}

template <NumberOp Abi::*op>
int32_t FastNumber(Local<Value>, double id, double key) {
  return (Table()->*op)(env_context, id, key);
}

int32_t FastSetString(Local<Value>, double id, const v8::FastOneByteString& key, double slot) {
  return Table()->set_latin1(env_context, id, key.data, key.length, slot);
}

int32_t FastSetNumber(Local<Value>, double id, double key, double slot) {
  return Table()->set_number(env_context, id, key, slot);
}

#if V8_MAJOR_VERSION >= 13
// A string key as the callback reads it: in place, flattened, through
// String::ValueView (V8 13), as Latin-1 bytes when V8 stores it one byte a
// unit (the addon widens them to the UTF-16 units they are, as it does a fast
// call's), else as UTF-16. The view is valid while no collection runs:
// nothing here allocates on the V8 heap or runs JS.
template <typename Run>
int32_t WithString(v8::Isolate* isolate, Local<v8::String> s, Run run) {
  v8::String::ValueView view(isolate, s);
  // A pointer that is not null for the empty string, whatever the view holds.
  static constexpr uint16_t kEmpty = 0;
  const void* data = view.length() == 0   ? &kEmpty
                     : view.is_one_byte() ? static_cast<const void*>(view.data8())
                                          : static_cast<const void*>(view.data16());
  KeyArg arg{view.is_one_byte() ? kKeyLatin1 : kKeyUtf16, view.length(), data, 0};
  return run(&arg);
}
#else
// A string key as the callback reads it: a one-byte string (as V8 marks it,
// not reading it) copied as its Latin-1 bytes, which the addon widens to the
// UTF-16 units they are, as it does a fast call's; any other as UTF-16 (as
// Node-API reads it). Copied without a terminating NUL, onto the stack up to
// kStackKeyUnits, else into a malloc'd buffer; NOT_TAKEN if that fails.
template <typename Run>
int32_t WithString(v8::Isolate* isolate, Local<v8::String> s, Run run) {
  uint16_t stack[kStackKeyUnits];
  const int len = s->Length();
  const bool one_byte = s->IsOneByte();
  const size_t bytes = static_cast<size_t>(len) * (one_byte ? 1 : sizeof(uint16_t));
  void* buffer = len <= kStackKeyUnits ? stack : malloc(bytes);
  if (buffer == nullptr) return kNotTaken;
  if (one_byte)
    s->WriteOneByte(isolate, static_cast<uint8_t*>(buffer), 0, len, v8::String::NO_NULL_TERMINATION);
  else
    s->Write(isolate, static_cast<uint16_t*>(buffer), 0, len, v8::String::NO_NULL_TERMINATION);
  KeyArg arg{one_byte ? kKeyLatin1 : kKeyUtf16, static_cast<uint32_t>(len), buffer, 0};
  int32_t result = run(&arg);
  if (buffer != stack) free(buffer);
  return result;
}
#endif

// The other calls: the same, reading the arguments through the V8 API. A
// key of another type, extra arguments or a missing one are not taken.
template <typename Run>
void Slow(const FunctionCallbackInfo<Value>& info, int argc, Run run) {
  int32_t result = kNotTaken;
  if (info.Length() == argc && info[0]->IsNumber()) {
    double id = info[0].As<v8::Number>()->Value();
    Local<Value> key = info[1];
    if (key->IsString()) {
      result = WithString(info.GetIsolate(), key.As<v8::String>(), [&](const KeyArg* arg) { return run(id, arg); });
    } else if (key->IsNumber()) {
      KeyArg arg = Number(key.As<v8::Number>()->Value());
      result = run(id, &arg);
    }
  }
  info.GetReturnValue().Set(result);
}

template <Op Abi::*op>
void SlowOp(const FunctionCallbackInfo<Value>& info) {
  Slow(info, 2, [](double id, const KeyArg* key) { return (Table()->*op)(env_context, id, key); });
}

void SlowSet(const FunctionCallbackInfo<Value>& info) {
  if (info.Length() != 3 || !info[2]->IsNumber()) {
    info.GetReturnValue().Set(kNotTaken);
    return;
  }
  double slot = info[2].As<v8::Number>()->Value();
  Slow(info, 3, [slot](double id, const KeyArg* key) { return Table()->set(env_context, id, key, slot); });
}

void Calls(const FunctionCallbackInfo<Value>& info) {
  info.GetReturnValue().Set(Table()->taken(env_context, 0));
}

void FastCalls(const FunctionCallbackInfo<Value>& info) {
  info.GetReturnValue().Set(Table()->taken(env_context, 1));
}

// Signatures, built once for the process (V8 keeps pointers to them).
const CTypeInfo kInt32(CTypeInfo::Type::kInt32);
constexpr CTypeInfo kReceiver(CTypeInfo::Type::kV8Value);
constexpr CTypeInfo kDouble(CTypeInfo::Type::kFloat64);
constexpr CTypeInfo kString(CTypeInfo::Type::kSeqOneByteString);
const CTypeInfo kStringArgs[] = {kReceiver, kDouble, kString};
const CTypeInfo kNumberArgs[] = {kReceiver, kDouble, kDouble};
const CTypeInfo kSetStringArgs[] = {kReceiver, kDouble, kString, kDouble};
const CTypeInfo kSetNumberArgs[] = {kReceiver, kDouble, kDouble, kDouble};

// Built when the library loads (dlopen runs this once, before any install);
// V8 keeps pointers to them.
const v8::CFunctionInfo kStringSig = v8::MakeCFunctionInfo(kInt32, 3, kStringArgs);
const v8::CFunctionInfo kNumberSig = v8::MakeCFunctionInfo(kInt32, 3, kNumberArgs);
const v8::CFunctionInfo kSetStringSig = v8::MakeCFunctionInfo(kInt32, 4, kSetStringArgs);
const v8::CFunctionInfo kSetNumberSig = v8::MakeCFunctionInfo(kInt32, 4, kSetNumberArgs);

bool Define(Local<v8::Context> context, Local<v8::Object> target, const char* name,
            v8::FunctionCallback slow, const void* fast, const v8::CFunctionInfo* sig) {
  v8::Isolate* isolate = context->GetIsolate();
  Local<v8::FunctionTemplate> t;
  if (fast == nullptr) {
    t = v8::FunctionTemplate::New(isolate, slow, Local<Value>(), Local<v8::Signature>(), 0,
                                  v8::ConstructorBehavior::kThrow);
  } else {
    CFunction c_function(fast, sig);
    t = v8::FunctionTemplate::New(isolate, slow, Local<Value>(), Local<v8::Signature>(), 0,
                                  v8::ConstructorBehavior::kThrow,
                                  v8::SideEffectType::kHasSideEffect, &c_function);
  }
  Local<v8::Function> f;
  Local<v8::String> key;
  return t->GetFunction(context).ToLocal(&f) &&
         v8::String::NewFromUtf8(isolate, name).ToLocal(&key) &&
         target->Set(context, key, f).FromMaybe(false);
}

// Whether `p` is the start of the table symbol in a loaded object, found
// without reading memory at `p`.
bool IsTable(const void* p) {
  Dl_info info;
  if (p == nullptr || dladdr(p, &info) == 0) return false;
  return info.dli_saddr == p && info.dli_sname != nullptr &&
         std::strcmp(info.dli_sname, kSymbol) == 0;
}

// install(binding.fastAbi) -> { get, has, remove, set, getNumber, ..., calls } | undefined
void Install(const FunctionCallbackInfo<Value>& info) {
  Local<v8::Context> context = info.GetIsolate()->GetCurrentContext();
  if (info.Length() < 1 || !info[0]->IsBigInt()) return;
  bool lossless = false;
  uint64_t address = info[0].As<v8::BigInt>()->Uint64Value(&lossless);
  if (!lossless) return;
  const void* p = reinterpret_cast<const void*>(static_cast<uintptr_t>(address));
  if (!IsTable(p)) return;
  const Abi* table = static_cast<const Abi*>(p);
  if (std::memcmp(table->magic, "mokafast", 8) != 0 || table->version != kVersion ||
      table->not_taken != kNotTaken)
    return;
  const Abi* expected = nullptr;
  if (!abi.compare_exchange_strong(expected, table) && expected != table) return;
  // This thread's context: a count of it, held until the environment's
  // cleanup. Installed again in one environment, the count already held
  // serves (Node refuses a second hook with the same argument).
  const Context* attached = table->attach();
  if (attached == nullptr) return;
  if (attached == env_context) {
    table->detach(attached);
  } else {
    node::AddEnvironmentCleanupHook(info.GetIsolate(), Detach, const_cast<Context*>(attached));
    env_context = attached;
  }
  Local<v8::Object> methods = v8::Object::New(info.GetIsolate());
  bool ok =
      Define(context, methods, "get", SlowOp<&Abi::get>,
             reinterpret_cast<const void*>(&FastString<&Abi::get_latin1>), &kStringSig) &&
      Define(context, methods, "has", SlowOp<&Abi::has>,
             reinterpret_cast<const void*>(&FastString<&Abi::has_latin1>), &kStringSig) &&
      Define(context, methods, "remove", SlowOp<&Abi::remove>,
             reinterpret_cast<const void*>(&FastString<&Abi::remove_latin1>), &kStringSig) &&
      Define(context, methods, "set", SlowSet, reinterpret_cast<const void*>(&FastSetString),
             &kSetStringSig) &&
      Define(context, methods, "getNumber", SlowOp<&Abi::get>,
             reinterpret_cast<const void*>(&FastNumber<&Abi::get_number>), &kNumberSig) &&
      Define(context, methods, "hasNumber", SlowOp<&Abi::has>,
             reinterpret_cast<const void*>(&FastNumber<&Abi::has_number>), &kNumberSig) &&
      Define(context, methods, "removeNumber", SlowOp<&Abi::remove>,
             reinterpret_cast<const void*>(&FastNumber<&Abi::remove_number>), &kNumberSig) &&
      Define(context, methods, "setNumber", SlowSet,
             reinterpret_cast<const void*>(&FastSetNumber), &kSetNumberSig) &&
      Define(context, methods, "calls", Calls, nullptr, nullptr) &&
      Define(context, methods, "fastCalls", FastCalls, nullptr, nullptr);
  if (ok) info.GetReturnValue().Set(methods);
}

}  // namespace moka_js_fast

#define MOKA_JS_STR(x) #x
#define MOKA_JS_XSTR(x) MOKA_JS_STR(x)
static constexpr char kV8Version[] = MOKA_JS_XSTR(V8_MAJOR_VERSION) "." MOKA_JS_XSTR(V8_MINOR_VERSION);

// What the accelerator was built for, checked by the JS layer before
// `install` is called: Node's ABI version and V8's major.minor.
NODE_MODULE_INIT(/* exports, module, context */) {
  v8::Isolate* isolate = context->GetIsolate();
  auto set = [&](const char* name, v8::Local<v8::Value> value) {
    v8::Local<v8::String> key;
    if (v8::String::NewFromUtf8(isolate, name).ToLocal(&key)) exports->Set(context, key, value).IsJust();
  };
  set("modules", v8::Integer::New(isolate, NODE_MODULE_VERSION));
  v8::Local<v8::String> v8_version;
  if (v8::String::NewFromUtf8(isolate, kV8Version).ToLocal(&v8_version)) set("v8", v8_version);
  moka_js_fast::Define(context, exports, "install", moka_js_fast::Install, nullptr, nullptr);
}
