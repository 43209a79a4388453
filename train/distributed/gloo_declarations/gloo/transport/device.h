#pragma once
// Held by pointer only in ProcessGroupGloo.hpp (README.md beside gloo/).
namespace gloo::transport {

class Device;
class UnboundBuffer;

}  // namespace gloo::transport
