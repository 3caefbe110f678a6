// `uda-agent service install|uninstall|start|stop|status` against a mock SCM.
#include "platform/service_host/service_admin.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "platform/service_host/event_ids.hpp"
#include "platform/service_host/exit_codes.hpp"

namespace uda::svc {
namespace {

using std::chrono::milliseconds;
using ::testing::_;
using ::testing::DoAll;
using ::testing::HasSubstr;
using ::testing::InSequence;
using ::testing::Return;
using ::testing::SetArgReferee;
using ::testing::StrictMock;

class MockScmAdmin : public ScmAdmin {
 public:
  MOCK_METHOD(std::uint32_t, create_service, (const CreateParams&, ServiceHandle&), (override));
  MOCK_METHOD(std::uint32_t, open_service, (const std::string&, ServiceHandle&), (override));
  MOCK_METHOD(void, close, (ServiceHandle), (override));
  MOCK_METHOD(std::uint32_t, set_description, (ServiceHandle, const std::string&), (override));
  MOCK_METHOD(std::uint32_t, set_delayed_auto_start, (ServiceHandle, bool), (override));
  MOCK_METHOD(std::uint32_t, set_failure_actions, (ServiceHandle, const FailureActions&),
              (override));
  MOCK_METHOD(std::uint32_t, set_failure_actions_flag, (ServiceHandle, bool), (override));
  MOCK_METHOD(std::uint32_t, set_preshutdown_timeout, (ServiceHandle, std::uint32_t), (override));
  MOCK_METHOD(std::uint32_t, set_sid_type, (ServiceHandle, std::uint32_t), (override));
  MOCK_METHOD(std::uint32_t, start, (ServiceHandle), (override));
  MOCK_METHOD(std::uint32_t, control, (ServiceHandle, std::uint32_t, Status&), (override));
  MOCK_METHOD(std::uint32_t, query, (ServiceHandle, StatusEx&), (override));
  MOCK_METHOD(std::uint32_t, remove, (ServiceHandle), (override));
  MOCK_METHOD(std::uint32_t, register_event_source, (const EventSourceRegistration&), (override));
  MOCK_METHOD(std::uint32_t, unregister_event_source, (const std::string&), (override));
};

constexpr ServiceHandle kSvc = 42;
const std::string kExe = "C:\\Program Files\\UdaAgent\\uda-agent.exe";

StatusEx status(State s, std::uint32_t pid = 0, std::uint32_t win32 = 0, std::uint32_t code = 0) {
  StatusEx out;
  out.status.state = s;
  out.status.win32_exit_code = win32;
  out.status.service_exit_code = code;
  out.pid = pid;
  return out;
}

WaitOptions no_sleep(int* sleeps = nullptr) {
  WaitOptions w;
  w.timeout = milliseconds(1000);
  w.poll = milliseconds(250);
  w.sleep = [sleeps](milliseconds) {
    if (sleeps != nullptr) ++*sleeps;
  };
  return w;
}

void expect_configuration(StrictMock<MockScmAdmin>& scm, std::uint32_t preshutdown_ms) {
  EXPECT_CALL(scm, set_description(kSvc, HasSubstr("user device affinity"))).WillOnce(Return(0));
  EXPECT_CALL(scm, set_delayed_auto_start(kSvc, true)).WillOnce(Return(0));
  FailureActions fa;
  fa.reset_period_s = 86400;
  fa.actions = {
      {ActionType::Restart, 5000}, {ActionType::Restart, 30000}, {ActionType::Restart, 120000}};
  EXPECT_CALL(scm, set_failure_actions(kSvc, fa)).WillOnce(Return(0));
  EXPECT_CALL(scm, set_failure_actions_flag(kSvc, true)).WillOnce(Return(0));
  EXPECT_CALL(scm, set_preshutdown_timeout(kSvc, preshutdown_ms)).WillOnce(Return(0));
  EXPECT_CALL(scm, set_sid_type(kSvc, kSidTypeUnrestricted)).WillOnce(Return(0));
  EXPECT_CALL(scm, register_event_source(EventSourceRegistration{"UdaAgent", kExe, 4, 7}))
      .WillOnce(Return(0));
}

TEST(ServiceInstall, CreatesTheServiceWithTheVirtualAccountAndFullConfiguration) {
  StrictMock<MockScmAdmin> scm;
  CreateParams expected{"UdaAgent", "UDA Agent (ConfigMgr user device affinity)",
                        "\"" + kExe + "\" run", "NT SERVICE\\UdaAgent", StartType::Auto};
  EXPECT_CALL(scm, create_service(expected, _)).WillOnce(DoAll(SetArgReferee<1>(kSvc), Return(0)));
  expect_configuration(scm, 30000);
  EXPECT_CALL(scm, close(kSvc));
  InstallOptions o;
  o.exe_path = kExe;
  const auto r = install_service(scm, o);
  EXPECT_EQ(r.exit_code, 0) << r.message;
  EXPECT_THAT(r.message, HasSubstr("installed service UdaAgent"));
  EXPECT_THAT(r.message, HasSubstr("NT SERVICE\\UdaAgent"));
}

TEST(ServiceInstall, UsesAGmsaAndAConfigPathWhenGiven) {
  StrictMock<MockScmAdmin> scm;
  CreateParams expected{"UdaAgent", "UDA Agent (ConfigMgr user device affinity)",
                        "\"" + kExe + "\" run --config \"D:\\uda\\agent.yaml\"",
                        "CONTOSO\\svc-uda$", StartType::Auto};
  EXPECT_CALL(scm, create_service(expected, _)).WillOnce(DoAll(SetArgReferee<1>(kSvc), Return(0)));
  expect_configuration(scm, 90000);
  EXPECT_CALL(scm, close(kSvc));
  InstallOptions o;
  o.exe_path = kExe;
  o.config_path = "D:\\uda\\agent.yaml";
  o.account = "CONTOSO\\svc-uda$";
  o.preshutdown_timeout = milliseconds(90000);
  EXPECT_EQ(install_service(scm, o).exit_code, 0);
}

TEST(ServiceInstall, RefusesAccountsThatAreNotAGmsaWithoutTouchingTheScm) {
  for (const char* bad : {"CONTOSO\\jdoe", "svc-uda$", "CONTOSO\\a\\b$", "\\svc$", "CONTOSO\\$",
                          "CONTOSO\\svc uda$", "jdoe@contoso.com"}) {
    StrictMock<MockScmAdmin> scm;  // no call allowed
    InstallOptions o;
    o.exe_path = kExe;
    o.account = bad;
    const auto r = install_service(scm, o);
    EXPECT_EQ(r.exit_code, 2) << bad;
    EXPECT_THAT(r.message, HasSubstr("DOMAIN\\name$")) << bad;
  }
  std::string error;
  EXPECT_EQ(resolve_account("", error), "NT SERVICE\\UdaAgent");
  EXPECT_EQ(resolve_account("NT SERVICE\\UdaAgent", error), "NT SERVICE\\UdaAgent");
  EXPECT_EQ(resolve_account("CONTOSO\\gmsa-uda$", error), "CONTOSO\\gmsa-uda$");
}

TEST(ServiceInstall, AlreadyInstalledIsRefused) {
  StrictMock<MockScmAdmin> scm;
  EXPECT_CALL(scm, create_service(_, _)).WillOnce(Return(win32::kServiceExists));
  InstallOptions o;
  o.exe_path = kExe;
  const auto r = install_service(scm, o);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.message, HasSubstr("already installed"));
  EXPECT_THAT(r.message, HasSubstr("service uninstall"));
}

TEST(ServiceInstall, AccessDeniedAsksForElevation) {
  StrictMock<MockScmAdmin> scm;
  EXPECT_CALL(scm, create_service(_, _)).WillOnce(Return(win32::kAccessDenied));
  InstallOptions o;
  o.exe_path = kExe;
  const auto r = install_service(scm, o);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.message, HasSubstr("ERROR_ACCESS_DENIED (5)"));
  EXPECT_THAT(r.message, HasSubstr("elevated"));
}

TEST(ServiceInstall, AFailedStepRemovesTheHalfInstalledService) {
  StrictMock<MockScmAdmin> scm;
  InSequence seq;
  EXPECT_CALL(scm, create_service(_, _)).WillOnce(DoAll(SetArgReferee<1>(kSvc), Return(0)));
  EXPECT_CALL(scm, set_description(kSvc, _)).WillOnce(Return(0));
  EXPECT_CALL(scm, set_delayed_auto_start(kSvc, true)).WillOnce(Return(0));
  EXPECT_CALL(scm, set_failure_actions(kSvc, _)).WillOnce(Return(win32::kInvalidParameter));
  EXPECT_CALL(scm, remove(kSvc)).WillOnce(Return(0));
  EXPECT_CALL(scm, unregister_event_source("UdaAgent")).WillOnce(Return(0));
  EXPECT_CALL(scm, close(kSvc));
  InstallOptions o;
  o.exe_path = kExe;
  const auto r = install_service(scm, o);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.message, HasSubstr("failure actions"));
  EXPECT_THAT(r.message, HasSubstr("removed again"));
}

TEST(ServiceInstall, InfoLevelsTheScmLacksAreWarningsNotFailures) {
  StrictMock<MockScmAdmin> scm;
  EXPECT_CALL(scm, create_service(_, _)).WillOnce(DoAll(SetArgReferee<1>(kSvc), Return(0)));
  EXPECT_CALL(scm, set_description(_, _)).WillOnce(Return(0));
  EXPECT_CALL(scm, set_delayed_auto_start(_, _)).WillOnce(Return(win32::kInvalidLevel));
  EXPECT_CALL(scm, set_failure_actions(_, _)).WillOnce(Return(0));
  EXPECT_CALL(scm, set_failure_actions_flag(_, _)).WillOnce(Return(win32::kInvalidLevel));
  EXPECT_CALL(scm, set_preshutdown_timeout(_, _)).WillOnce(Return(0));
  EXPECT_CALL(scm, set_sid_type(_, _)).WillOnce(Return(win32::kInvalidLevel));
  EXPECT_CALL(scm, register_event_source(_)).WillOnce(Return(0));
  EXPECT_CALL(scm, close(kSvc));
  InstallOptions o;
  o.exe_path = kExe;
  const auto r = install_service(scm, o);
  EXPECT_EQ(r.exit_code, 0) << r.message;
  EXPECT_THAT(r.message, HasSubstr("warning: this SCM cannot set the delayed auto-start "
                                   "(ERROR_INVALID_LEVEL (124))"));
  EXPECT_THAT(r.message, HasSubstr("failure actions flag"));
  EXPECT_THAT(r.message, HasSubstr("service SID type"));
}

TEST(ServiceInstall, InvalidLevelOnARequiredSettingFails) {
  StrictMock<MockScmAdmin> scm;
  EXPECT_CALL(scm, create_service(_, _)).WillOnce(DoAll(SetArgReferee<1>(kSvc), Return(0)));
  EXPECT_CALL(scm, set_description(_, _)).WillOnce(Return(0));
  EXPECT_CALL(scm, set_delayed_auto_start(_, _)).WillOnce(Return(0));
  EXPECT_CALL(scm, set_failure_actions(_, _)).WillOnce(Return(win32::kInvalidLevel));
  EXPECT_CALL(scm, remove(kSvc)).WillOnce(Return(0));
  EXPECT_CALL(scm, unregister_event_source(_)).WillOnce(Return(0));
  EXPECT_CALL(scm, close(kSvc));
  InstallOptions o;
  o.exe_path = kExe;
  EXPECT_EQ(install_service(scm, o).exit_code, 1);
}

TEST(ServiceInstall, EventSourceFailureAlsoRollsBack) {
  StrictMock<MockScmAdmin> scm;
  EXPECT_CALL(scm, create_service(_, _)).WillOnce(DoAll(SetArgReferee<1>(kSvc), Return(0)));
  EXPECT_CALL(scm, set_description(_, _)).WillOnce(Return(0));
  EXPECT_CALL(scm, set_delayed_auto_start(_, _)).WillOnce(Return(0));
  EXPECT_CALL(scm, set_failure_actions(_, _)).WillOnce(Return(0));
  EXPECT_CALL(scm, set_failure_actions_flag(_, _)).WillOnce(Return(0));
  EXPECT_CALL(scm, set_preshutdown_timeout(_, _)).WillOnce(Return(0));
  EXPECT_CALL(scm, set_sid_type(_, _)).WillOnce(Return(0));
  EXPECT_CALL(scm, register_event_source(_)).WillOnce(Return(win32::kAccessDenied));
  EXPECT_CALL(scm, remove(kSvc)).WillOnce(Return(0));
  EXPECT_CALL(scm, unregister_event_source(_)).WillOnce(Return(0));
  EXPECT_CALL(scm, close(kSvc));
  InstallOptions o;
  o.exe_path = kExe;
  const auto r = install_service(scm, o);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.message, HasSubstr("Event Log source"));
}

TEST(ServiceUninstall, StopsARunningServiceThenDeletesItAndItsEventSource) {
  StrictMock<MockScmAdmin> scm;
  int sleeps = 0;
  InSequence seq;
  EXPECT_CALL(scm, open_service("UdaAgent", _)).WillOnce(DoAll(SetArgReferee<1>(kSvc), Return(0)));
  EXPECT_CALL(scm, query(kSvc, _))
      .WillOnce(DoAll(SetArgReferee<1>(status(State::Running, 1234)), Return(0)));
  EXPECT_CALL(scm, control(kSvc, control::kStop, _)).WillOnce(Return(0));
  EXPECT_CALL(scm, query(kSvc, _))
      .WillOnce(DoAll(SetArgReferee<1>(status(State::StopPending, 1234)), Return(0)))
      .WillOnce(DoAll(SetArgReferee<1>(status(State::Stopped)), Return(0)));
  EXPECT_CALL(scm, remove(kSvc)).WillOnce(Return(0));
  EXPECT_CALL(scm, unregister_event_source("UdaAgent")).WillOnce(Return(0));
  EXPECT_CALL(scm, close(kSvc));
  const auto r = uninstall_service(scm, no_sleep(&sleeps));
  EXPECT_EQ(r.exit_code, 0) << r.message;
  EXPECT_THAT(r.message, HasSubstr("removed service UdaAgent (stopped first)"));
  EXPECT_EQ(sleeps, 1);
}

TEST(ServiceUninstall, NotInstalledIsNotAnError) {
  StrictMock<MockScmAdmin> scm;
  EXPECT_CALL(scm, open_service(_, _)).WillOnce(Return(win32::kServiceDoesNotExist));
  EXPECT_CALL(scm, unregister_event_source("UdaAgent")).WillOnce(Return(0));
  const auto r = uninstall_service(scm, no_sleep());
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_FALSE(r.installed);
  EXPECT_THAT(r.message, HasSubstr("not installed"));
}

TEST(ServiceUninstall, AlreadyMarkedForDeleteCountsAsRemoved) {
  StrictMock<MockScmAdmin> scm;
  EXPECT_CALL(scm, open_service(_, _)).WillOnce(DoAll(SetArgReferee<1>(kSvc), Return(0)));
  EXPECT_CALL(scm, query(kSvc, _))
      .WillOnce(DoAll(SetArgReferee<1>(status(State::Stopped)), Return(0)));
  EXPECT_CALL(scm, remove(kSvc)).WillOnce(Return(win32::kServiceMarkedForDelete));
  EXPECT_CALL(scm, unregister_event_source(_)).WillOnce(Return(0));
  EXPECT_CALL(scm, close(kSvc));
  EXPECT_EQ(uninstall_service(scm, no_sleep()).exit_code, 0);
}

TEST(ServiceStart, StartsAndWaitsForRunning) {
  StrictMock<MockScmAdmin> scm;
  int sleeps = 0;
  EXPECT_CALL(scm, open_service("UdaAgent", _)).WillOnce(DoAll(SetArgReferee<1>(kSvc), Return(0)));
  EXPECT_CALL(scm, start(kSvc)).WillOnce(Return(0));
  EXPECT_CALL(scm, query(kSvc, _))
      .WillOnce(DoAll(SetArgReferee<1>(status(State::StartPending, 77)), Return(0)))
      .WillOnce(DoAll(SetArgReferee<1>(status(State::StartPending, 77)), Return(0)))
      .WillOnce(DoAll(SetArgReferee<1>(status(State::Running, 77)), Return(0)));
  EXPECT_CALL(scm, close(kSvc));
  const auto r = start_service(scm, no_sleep(&sleeps));
  EXPECT_EQ(r.exit_code, 0) << r.message;
  EXPECT_EQ(r.message, "service UdaAgent is running (pid 77)");
  EXPECT_EQ(sleeps, 2);
}

TEST(ServiceStart, AlreadyRunningIsFine) {
  StrictMock<MockScmAdmin> scm;
  EXPECT_CALL(scm, open_service(_, _)).WillOnce(DoAll(SetArgReferee<1>(kSvc), Return(0)));
  EXPECT_CALL(scm, start(kSvc)).WillOnce(Return(win32::kServiceAlreadyRunning));
  EXPECT_CALL(scm, query(kSvc, _))
      .WillOnce(DoAll(SetArgReferee<1>(status(State::Running, 5)), Return(0)));
  EXPECT_CALL(scm, close(kSvc));
  EXPECT_EQ(start_service(scm, no_sleep()).exit_code, 0);
}

TEST(ServiceStart, ReportsTheExitCodeWhenTheAgentStopsAtOnce) {
  StrictMock<MockScmAdmin> scm;
  EXPECT_CALL(scm, open_service(_, _)).WillOnce(DoAll(SetArgReferee<1>(kSvc), Return(0)));
  EXPECT_CALL(scm, start(kSvc)).WillOnce(Return(0));
  EXPECT_CALL(scm, query(kSvc, _))
      .WillOnce(DoAll(SetArgReferee<1>(status(State::Stopped, 0, win32::kServiceSpecificError,
                                              exit_code::kConfig)),
                      Return(0)));
  EXPECT_CALL(scm, close(kSvc));
  const auto r = start_service(scm, no_sleep());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.message,
              HasSubstr("did not start: stopped (exit 2: configuration or rules error)"));
  EXPECT_THAT(r.message, HasSubstr("event log"));
}

TEST(ServiceStart, GivesUpAfterTheWaitTimeout) {
  StrictMock<MockScmAdmin> scm;
  int sleeps = 0;
  EXPECT_CALL(scm, open_service(_, _)).WillOnce(DoAll(SetArgReferee<1>(kSvc), Return(0)));
  EXPECT_CALL(scm, start(kSvc)).WillOnce(Return(0));
  EXPECT_CALL(scm, query(kSvc, _))
      .WillRepeatedly(DoAll(SetArgReferee<1>(status(State::StartPending, 9)), Return(0)));
  EXPECT_CALL(scm, close(kSvc));
  const auto r = start_service(scm, no_sleep(&sleeps));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.message, HasSubstr("start_pending"));
  EXPECT_EQ(sleeps, 4);  // 1000 ms in 250 ms steps
}

TEST(ServiceStart, NotInstalled) {
  StrictMock<MockScmAdmin> scm;
  EXPECT_CALL(scm, open_service(_, _)).WillOnce(Return(win32::kServiceDoesNotExist));
  const auto r = start_service(scm, no_sleep());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_FALSE(r.installed);
  EXPECT_THAT(r.message, HasSubstr("ERROR_SERVICE_DOES_NOT_EXIST (1060)"));
}

TEST(ServiceStop, SendsStopAndWaitsForStopped) {
  StrictMock<MockScmAdmin> scm;
  EXPECT_CALL(scm, open_service(_, _)).WillOnce(DoAll(SetArgReferee<1>(kSvc), Return(0)));
  EXPECT_CALL(scm, control(kSvc, control::kStop, _)).WillOnce(Return(0));
  EXPECT_CALL(scm, query(kSvc, _))
      .WillOnce(DoAll(SetArgReferee<1>(status(State::StopPending, 3)), Return(0)))
      .WillOnce(DoAll(SetArgReferee<1>(status(State::Stopped)), Return(0)));
  EXPECT_CALL(scm, close(kSvc));
  const auto r = stop_service(scm, no_sleep());
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.message, "service UdaAgent is stopped");
}

TEST(ServiceStop, AlreadyStoppedIsFine) {
  StrictMock<MockScmAdmin> scm;
  EXPECT_CALL(scm, open_service(_, _)).WillOnce(DoAll(SetArgReferee<1>(kSvc), Return(0)));
  EXPECT_CALL(scm, control(kSvc, control::kStop, _)).WillOnce(Return(win32::kServiceNotActive));
  EXPECT_CALL(scm, query(kSvc, _))
      .WillOnce(DoAll(SetArgReferee<1>(status(State::Stopped)), Return(0)));
  EXPECT_CALL(scm, close(kSvc));
  EXPECT_EQ(stop_service(scm, no_sleep()).exit_code, 0);
}

TEST(ServiceStop, StopRefusedIsAFailure) {
  StrictMock<MockScmAdmin> scm;
  EXPECT_CALL(scm, open_service(_, _)).WillOnce(DoAll(SetArgReferee<1>(kSvc), Return(0)));
  EXPECT_CALL(scm, control(kSvc, control::kStop, _))
      .WillOnce(Return(win32::kServiceCannotAcceptCtrl));
  EXPECT_CALL(scm, close(kSvc));
  const auto r = stop_service(scm, no_sleep());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.message, HasSubstr("ERROR_SERVICE_CANNOT_ACCEPT_CTRL (1061)"));
}

TEST(ServiceStatus, ShowsStateAndPid) {
  StrictMock<MockScmAdmin> scm;
  EXPECT_CALL(scm, open_service(_, _)).WillOnce(DoAll(SetArgReferee<1>(kSvc), Return(0)));
  EXPECT_CALL(scm, query(kSvc, _))
      .WillOnce(DoAll(SetArgReferee<1>(status(State::Running, 4242)), Return(0)));
  EXPECT_CALL(scm, close(kSvc));
  const auto r = query_service(scm);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.message, "service UdaAgent: running (pid 4242)");
  ASSERT_TRUE(r.status.has_value());
  EXPECT_EQ(r.status->pid, 4242u);
}

TEST(ServiceStatus, ShowsTheLastExitCode) {
  StrictMock<MockScmAdmin> scm;
  EXPECT_CALL(scm, open_service(_, _)).WillOnce(DoAll(SetArgReferee<1>(kSvc), Return(0)));
  EXPECT_CALL(scm, query(kSvc, _))
      .WillOnce(DoAll(SetArgReferee<1>(status(State::Stopped, 0, win32::kServiceSpecificError,
                                              exit_code::kStoreLocked)),
                      Return(0)));
  EXPECT_CALL(scm, close(kSvc));
  EXPECT_EQ(query_service(scm).message,
            "service UdaAgent: stopped (exit 4: another agent holds the store's lock)");
}

TEST(ServiceStatus, NotInstalled) {
  StrictMock<MockScmAdmin> scm;
  EXPECT_CALL(scm, open_service(_, _)).WillOnce(Return(win32::kServiceDoesNotExist));
  const auto r = query_service(scm);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_FALSE(r.installed);
  EXPECT_EQ(r.message, "service UdaAgent is not installed");
}

TEST(ServiceAdminText, ImagePathAndErrorNames) {
  EXPECT_EQ(image_path("C:\\a b\\uda-agent.exe", ""), "\"C:\\a b\\uda-agent.exe\" run");
  EXPECT_EQ(image_path("C:\\x.exe", "C:\\c.yaml"), "\"C:\\x.exe\" run --config \"C:\\c.yaml\"");
  EXPECT_EQ(win32_error_name(1063), "ERROR_FAILED_SERVICE_CONTROLLER_CONNECT (1063)");
  EXPECT_EQ(win32_error_name(12345), "error 12345");
  EXPECT_EQ(describe_status(status(State::Stopped, 0, 1067)), "stopped (exit error 1067)");
}

}  // namespace
}  // namespace uda::svc
