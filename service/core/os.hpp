#pragma once
// The few operating-system calls the core needs, one spelling for Linux and
// Windows (the platform difference stays in os.cpp).

#include <cstdio>
#include <filesystem>
#include <string>

namespace uda::os {

// This process's id.
int process_id();

// The machine's host name ("localhost" when it cannot be read).
std::string host_name();

// A path as UTF-8 text (what SQLite and log lines take; on Windows the native
// form is UTF-16).
std::string path_utf8(const std::filesystem::path& p);

// std::fopen for a path (wide names on Windows).
std::FILE* open_file(const std::filesystem::path& p, const char* mode);

// Flushes a stdio stream and its file's data to the disk (fsync / _commit).
bool flush_to_disk(std::FILE* f);

}  // namespace uda::os
