#pragma once
// Included by ProcessGroupGloo.hpp; it needs nothing from it (README.md beside gloo/).
