#include <gtest/gtest.h>

#include <clocale>
#include <sstream>

#include "dyad/formats/error.hpp"
#include "dyad/formats/text.hpp"

using namespace dyad::formats;

TEST(Numbers, RoundTripShortest) {
  for (double v : {0.0, 1.5, -3.25, 1e-9, 123456.789, 0.1, 1.0 / 3.0}) {
    auto s = format_number(v);
    auto back = parse_number(s);
    ASSERT_TRUE(back) << s;
    EXPECT_EQ(*back, v) << s;
  }
  EXPECT_EQ(format_number(0.1), "0.1");
}

TEST(Numbers, MissingIsNa) {
  EXPECT_EQ(format_number(std::nan("")), "n/a");
  EXPECT_TRUE(std::isnan(*parse_number("n/a")));
}

TEST(Numbers, RejectsPartialAndEmpty) {
  EXPECT_FALSE(parse_number("1.2.3"));
  EXPECT_FALSE(parse_number(""));
  EXPECT_FALSE(parse_number("1,5"));
  EXPECT_FALSE(parse_number("abc"));
  EXPECT_EQ(*parse_number("+2.5"), 2.5);
}

TEST(Numbers, SecondsAndSignificantDigitsWithoutFloatNoise) {
  EXPECT_EQ(format_seconds(58 * 0.01), "0.58");
  EXPECT_EQ(format_seconds(3.5 - 2.92), "0.58");
  EXPECT_EQ(format_seconds(std::nan("")), "n/a");
  EXPECT_EQ(format_number(round_significant(60 / (12.776258961178291 - 7.656258961178292), 9)), "11.71875");
  EXPECT_EQ(format_number(round_significant(0.11230029999999999, 7)), "0.1123003");
  EXPECT_EQ(round_significant(123456789.4, 3), 123000000.0);
  EXPECT_EQ(format_number(round_significant(-0.000123456, 2)), "-0.00012");
  EXPECT_EQ(round_significant(0.0, 5), 0.0);
  EXPECT_TRUE(std::isnan(round_significant(std::nan(""), 5)));
  EXPECT_EQ(round_significant(INFINITY, 5), INFINITY);
}

TEST(Numbers, LocaleProof) {
  // A locale with a decimal comma must not change what is written or read.
  const char* old = std::setlocale(LC_ALL, nullptr);
  std::string saved = old ? old : "C";
  if (std::setlocale(LC_ALL, "de_DE.UTF-8") == nullptr) std::setlocale(LC_NUMERIC, "C");
  EXPECT_EQ(format_number(1.5), "1.5");
  EXPECT_EQ(format_fixed(2.25, 2), "2.25");
  EXPECT_EQ(*parse_number("1.5"), 1.5);
  std::setlocale(LC_ALL, saved.c_str());
}

TEST(Table, ReadsRowsWithLineNumbers) {
  std::istringstream in("a\tb\n1\t2\r\n3\t4\n\n");
  auto t = read_table(in, "x.tsv");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.line_numbers[1], 3u);
  EXPECT_EQ(t.number(1, 1), 4.0);
}

TEST(Table, WrongFieldCountNamesFileAndLine) {
  std::istringstream in("a\tb\n1\t2\n3\n");
  try {
    read_table(in, "x.tsv");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_STREQ(e.what(), "x.tsv:3: expected 2 fields (a, b), found 1");
    EXPECT_EQ(e.kind(), ErrorKind::malformed);
  }
}

TEST(Table, NotANumber) {
  std::istringstream in("a\n1.2.3\n");
  auto t = read_table(in, "x.tsv");
  try {
    t.number(0, 0);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_STREQ(e.what(), "x.tsv:2: a is not a number: '1.2.3'");
  }
}

TEST(Table, EmptyFile) {
  std::istringstream in("");
  try {
    read_table(in, "x.tsv");
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_STREQ(e.what(), "x.tsv:1: the file is empty; expected a header line");
  }
}

TEST(Table, CommaDetected) {
  std::istringstream in("a,b\n1,2\n");
  auto t = read_table(in, "x.csv", 0);
  EXPECT_EQ(t.header.size(), 2u);
}

TEST(Table, TsvLineKeepsTableRectangular) { EXPECT_EQ(tsv_line({"a\tb", "c\nd"}), "a b\tc d\n"); }
