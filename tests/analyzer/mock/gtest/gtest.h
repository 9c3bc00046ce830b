// A small stand-in for <gtest/gtest.h> used by the analyzer fixtures: the test macros
// expand to the same shape as GoogleTest 1.12's (a class `Suite_Name_Test` deriving
// from the fixture, a registration using #suite/#name, then the TestBody definition),
// so the analyzer sees what it sees in real suites, at a fraction of the parse time.
#ifndef XDIST_TESTS_MOCK_GTEST_H
#define XDIST_TESTS_MOCK_GTEST_H

#include <string>

namespace testing {

class Test {
 public:
  virtual ~Test() = default;
  static void SetUpTestSuite() {}
  static void TearDownTestSuite() {}

 protected:
  Test() = default;
  virtual void SetUp() {}
  virtual void TearDown() {}

 private:
  virtual void TestBody() = 0;
};

template <typename T>
class WithParamInterface {
 public:
  virtual ~WithParamInterface() = default;
  const T& GetParam() const { return *param_; }

 private:
  const T* param_ = nullptr;
};

template <typename T>
class TestWithParam : public Test, public WithParamInterface<T> {};

class TestInfo {
 public:
  const char* test_suite_name() const { return suite_; }
  const char* name() const { return name_; }

 private:
  const char* suite_ = "";
  const char* name_ = "";
};

class UnitTest {
 public:
  static UnitTest* GetInstance() {
    static UnitTest instance;
    return &instance;
  }
  const TestInfo* current_test_info() const { return nullptr; }
};

inline std::string TempDir() { return "/tmp/"; }

namespace internal {
TestInfo* MakeAndRegisterTestInfo(const char* suite, const char* name, const char* file, int line);
bool RegisterTypedTest(const char* suite, const char* name, const char* file, int line);
bool RegisterParamTest(const char* suite, const char* name, const char* file, int line);
template <typename T>
bool ExpectEq(const char* a, const char* b, const T& x, const T& y);
template <typename T, typename U>
bool ExpectEq(const char* a, const char* b, const T& x, const U& y);
bool ExpectTrue(bool value);
}  // namespace internal

}  // namespace testing

#define XDIST_MOCK_CLASS_(suite, name) suite##_##name##_Test

#define XDIST_MOCK_TEST_(suite, name, parent)                                           \
  class XDIST_MOCK_CLASS_(suite, name) : public parent {                                \
   private:                                                                             \
    void TestBody() override;                                                           \
    static ::testing::TestInfo* const test_info_;                                       \
  };                                                                                    \
  ::testing::TestInfo* const XDIST_MOCK_CLASS_(suite, name)::test_info_ =               \
      ::testing::internal::MakeAndRegisterTestInfo(#suite, #name, __FILE__, __LINE__);  \
  void XDIST_MOCK_CLASS_(suite, name)::TestBody()

#define TEST(suite, name) XDIST_MOCK_TEST_(suite, name, ::testing::Test)
#define TEST_F(fixture, name) XDIST_MOCK_TEST_(fixture, name, fixture)

#define TEST_P(suite, name)                                                             \
  class XDIST_MOCK_CLASS_(suite, name) : public suite {                                 \
   public:                                                                              \
    void TestBody() override;                                                           \
                                                                                        \
   private:                                                                             \
    static bool registered_;                                                            \
  };                                                                                    \
  bool XDIST_MOCK_CLASS_(suite, name)::registered_ =                                    \
      ::testing::internal::RegisterParamTest(#suite, #name, __FILE__, __LINE__);        \
  void XDIST_MOCK_CLASS_(suite, name)::TestBody()

#define TYPED_TEST_SUITE(suite, types) static_assert(true, "")

#define TYPED_TEST(suite, name)                                                         \
  template <typename gtest_TypeParam_>                                                  \
  class XDIST_MOCK_CLASS_(suite, name) : public suite<gtest_TypeParam_> {               \
   private:                                                                             \
    typedef gtest_TypeParam_ TypeParam;                                                 \
    void TestBody() override;                                                           \
  };                                                                                    \
  static bool gtest_##suite##_##name##_registered_ [[maybe_unused]] =                   \
      ::testing::internal::RegisterTypedTest(#suite, #name, __FILE__, __LINE__);        \
  template <typename gtest_TypeParam_>                                                  \
  void XDIST_MOCK_CLASS_(suite, name)<gtest_TypeParam_>::TestBody()

#define TYPED_TEST_P(suite, name)                                                       \
  namespace gtest_suite_##suite##_ {                                                    \
  template <typename gtest_TypeParam_>                                                  \
  class name : public suite<gtest_TypeParam_> {                                         \
   private:                                                                             \
    typedef gtest_TypeParam_ TypeParam;                                                 \
    void TestBody() override;                                                           \
  };                                                                                    \
  static bool gtest_##name##_defined_ [[maybe_unused]] =                                \
      ::testing::internal::RegisterTypedTest(#suite, #name, __FILE__, __LINE__);        \
  }                                                                                     \
  template <typename gtest_TypeParam_>                                                  \
  void gtest_suite_##suite##_::name<gtest_TypeParam_>::TestBody()

#define EXPECT_EQ(a, b) ::testing::internal::ExpectEq(#a, #b, a, b)
#define ASSERT_EQ(a, b) ::testing::internal::ExpectEq(#a, #b, a, b)
#define EXPECT_TRUE(a) ::testing::internal::ExpectTrue(static_cast<bool>(a))
#define ASSERT_TRUE(a) ::testing::internal::ExpectTrue(static_cast<bool>(a))
#define EXPECT_NE(a, b) ::testing::internal::ExpectTrue((a) != (b))

#endif  // XDIST_TESTS_MOCK_GTEST_H
