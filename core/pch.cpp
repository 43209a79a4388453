// Anchor for the shared precompiled header (core/pch.h).
