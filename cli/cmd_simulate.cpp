// dyad simulate OUT: a dyadic session with exact ground truth under OUT/truth/.
#include <iostream>

#include "common.hpp"
#include "dyad/analysis/simulate.hpp"

namespace dyad::cli {

void add_simulate(CLI::App& app) {
  auto o = std::make_shared<analysis::SimulationConfig>();
  auto* cmd = app.add_subcommand(
      "simulate",
      "Simulate a dyadic session with exact ground truth: two partners' voices (optionally a therapist's), each on its own\n"
      "microphone with the others leaking in, a conversation with pauses, gaps, overlaps, backchannels and interruptions,\n"
      "phases and clinical entries as markers, ECG/EDA/respiration/blood pressure per partner on drifting sensor clocks.\n"
      "Writes a normal session folder plus OUT/truth/ (segments, events, turns, pitch, beats, SCRs, clocks, parameters).\n"
      "The same options and seed give the same bytes in every file. OUT must not exist, or be empty.");
  auto out = std::make_shared<std::string>();
  cmd->add_option("OUT", *out, "New session folder")->required();
  cmd->add_option("--duration", o->duration_s, "Length in seconds (10 to 86400)")->capture_default_str()->check(check::number());
  cmd->add_option("--seed", o->seed, "Random seed: everything, including the session id and dates, follows from it")
      ->capture_default_str()->check(check::whole());
  cmd->add_option("--rate", o->rate_hz, "Audio sample rate in Hz (8000 to 192000)")->capture_default_str()->check(check::number());
  cmd->add_option("--crosstalk-db", o->crosstalk_db, "Level of each talker in the other microphones, dB (energy of the room response; -120 to 0)")->capture_default_str()->check(check::number());
  cmd->add_option("--delay-ms", o->delay_ms, "Delay of the crosstalk's direct path in ms (0 to 50)")->capture_default_str()->check(check::number());
  cmd->add_option("--snr-db", o->snr_db, "Speech level over each microphone's noise, dB (0 to 120)")->capture_default_str()->check(check::number());
  cmd->add_option("--drift-ppm", o->drift_ppm, "Sensor clocks drift by up to this many ppm (each drawn in +-PPM; 0 to 1000)")->capture_default_str()->check(check::number());
  cmd->add_option("--jitter-ms", o->jitter_ms, "Mean delivery delay jitter of sensor data in ms (0 to 100)")->capture_default_str()->check(check::number());
  cmd->add_flag("--therapist", o->therapist, "Add a third voice channel: a therapist who speaks now and then");
  cmd->add_option("--coupling", o->coupling, "Share of B's heart-rate changes, arousal and SCRs that follow A's (0 to 1)")->capture_default_str()->check(check::number());
  cmd->add_option("--coupling-lag-s", o->coupling_lag_s, "Lag by which B follows A, seconds (0 to 30)")->capture_default_str()->check(check::number());
  cmd->add_option("--physio-noise", o->physio_noise,
                  "Sensor noise as a multiple of the default (ECG 8 uV, EDA 0.002 uS, respiration 0.01 of a breath; 0 to 100)")
      ->capture_default_str()->check(check::number());
  cmd->add_option("--couple", o->couple_id, "Couple id (pseudonymous)")->capture_default_str();
  cmd->add_option("--session-number", o->session_number, "Session number in the course of treatment")
      ->capture_default_str()->check(check::whole());
  cmd->add_option("--session-type", o->session_type, "preparation, dosing, integration or other")->capture_default_str();
  cmd->callback([o, out] {
    as_usage([&] { analysis::validate(*o); });  // clear errors before anything is created
    analysis::SimulationSummary s;
    {
      ProgressLine p("simulating");
      s = analysis::simulate_session(*out, *o, [&](double f) { p.update(f); });
    }
    std::cout << *out << "\n";
    note("simulated " + format_hms(o->duration_s) + ": " + std::to_string(s.talkspurts) + " talkspurts, " +
         std::to_string(s.turns) + " turns, " + std::to_string(s.events) + " turn-taking events, " + std::to_string(s.beats) +
         " heart beats, " + std::to_string(s.scrs) + " SCRs; the truth is in " + (std::filesystem::path(*out) / "truth").string());
  });
}

}  // namespace dyad::cli
