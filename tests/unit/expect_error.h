// Checks on refusals: a call must throw sbe::Error with one line naming the file and the problem.
#pragma once

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <string_view>

#include "sbe/error.h"

namespace sbe::testing {

// EXPECT_TRUE(ThrowsError([&] { ReadNpyFloat(path); }, path, "dtype")): passes when the call
// throws sbe::Error whose message is one line containing `file` and `problem`; any other
// exception, or none, fails with the message that came instead.
inline ::testing::AssertionResult ThrowsError(const std::function<void()>& call,
                                              std::string_view file, std::string_view problem) {
  try {
    call();
  } catch (const Error& e) {
    const std::string_view message = e.what();
    if (message.find('\n') != std::string_view::npos) {
      return ::testing::AssertionFailure() << "message is not one line: " << message;
    }
    if (message.find(file) == std::string_view::npos ||
        message.find(problem) == std::string_view::npos) {
      return ::testing::AssertionFailure()
             << "message \"" << message << "\" lacks \"" << file << "\" or \"" << problem << "\"";
    }
    return ::testing::AssertionSuccess() << message;
  } catch (const std::exception& e) {
    return ::testing::AssertionFailure() << "threw something other than sbe::Error: " << e.what();
  }
  return ::testing::AssertionFailure() << "no error; expected one about \"" << problem << "\"";
}

}  // namespace sbe::testing
