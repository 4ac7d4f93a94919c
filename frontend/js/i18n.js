// Every word the SPA shows, in English and Korean, and dates, times and numbers in the chosen locale.
// One dictionary per language, keys grouped by view: `t("auth.email")`. A new view adds its own
// group to both dictionaries (the browser tests check that they have the same keys).
// A value may be {one, other}: chosen by Intl.PluralRules from the `count` parameter.

const STORAGE_KEY = "chatbot.language";

/** The languages offered in the switch, each named in its own language. */
export const LANGUAGES = { en: "English", ko: "한국어" };

const en = {
  app: {
    name: "Chatbot",
    untitledChat: "Untitled chat",
  },
  language: {
    label: "Language",
  },
  auth: {
    email: "Email",
    password: "Password",
    passwordHint: "At least 8 characters, not too common or similar to your email.",
    nickname: "Nickname (optional)",
    loginTitle: "Log in",
    loginButton: "Log in",
    signupTitle: "Create your account",
    signupButton: "Sign up",
    newHere: "New here? ",
    createAccount: "Create an account",
    haveAccount: "Already have an account? ",
    logInLink: "Log in",
    wrongCredentials: "Wrong email or password.",
    forgotPassword: "Forgot password?",
    or: "or",
  },
  social: {
    github: "GitHub",
    kakao: "Kakao",
    someProvider: "GitHub or Kakao",
    continue: "Continue with {provider}",
    finishing: "Logging you in…",
    errors: {
      access_denied: "You cancelled the login.",
      email_conflict:
        "An account with this email already exists. Log in with your password, then link {provider} from your account page.",
      already_linked: "This {provider} account is already linked to another user.",
      failed: "The login did not complete. Please try again.",
      state: "This login could not be checked: it was started in another tab or window, or it is over already. Please try again.",
    },
  },
  reset: {
    forgotTitle: "Forgot your password?",
    forgotIntro: "Enter your account's email address and we will send you a link to choose a new password.",
    send: "Send reset link",
    sent: "If an account has this address, we sent a link to it.",
    backToLogin: "Back to log in",
    resetTitle: "Choose a new password",
    newPassword: "New password",
    setPassword: "Set new password",
    done: "Your password was changed. Log in with the new one.",
    askAgain: "Ask for a new link",
  },
  verify: {
    bannerLabel: "Email confirmation",
    banner: "Please confirm your email address: we sent a link to {email}.",
    resend: "Mail the link again",
    sent: "Sent",
    title: "Confirm your email address",
    checking: "Confirming…",
    done: "Your email address is confirmed.",
    invalid: "This link is invalid, expired or already used.",
    toChats: "Go to your chats",
  },
  shell: {
    chatsToggle: "Chats",
    chatsNav: "Chats",
    newChat: "New chat",
    search: "Search chats",
    yourChats: "Your chats",
    loadMore: "Load more",
    loadingMore: "Loading…",
    shown: { one: "{shown} of {count} chat", other: "{shown} of {count} chats" },
    noChats: "No chats yet.",
    noMatch: "No chat matches your search.",
    deleteAll: "Delete all chats",
    deleteAllConfirm: "Delete all your chats? This cannot be undone.",
    quotaLabel: "Daily quota",
    quota: "{remaining} of {limit} left today, resets at {time}",
    usage: "Usage",
    apiKeys: "API keys",
    account: "Account",
    logOut: "Log out",
  },
  welcome: {
    title: "Welcome",
    before: "Pick a chat from the list, or ",
    link: "start a conversation",
    after: ".",
  },
  newChat: {
    title: "New chat",
    settings: "Settings (optional)",
    model: "Model",
    modelDefault: "{model} (default)",
    modelsLoading: "Loading models…",
    serverDefault: "Server default",
    temperature: "Temperature (0 to 2)",
    stream: "Show replies as they are written",
    next: "Next",
    back: "Back",
    skip: "Skip",
    start: "Start chat",
    progress: "Question {number} of {total}",
    current_state: "Where are you now? Tell me about your current situation.",
    goal: "What would you like to achieve?",
    misc: "Anything else I should keep in mind?",
  },
  conversation: {
    loading: "Loading…",
    you: "You",
    assistant: "Assistant",
    stopped: "Stopped before the end.",
    current_state: "Current situation",
    goal: "Goal",
    misc: "Anything else",
    temperature: "temperature {value}",
    streaming: "streaming",
    started: "started {date}",
    label: "Conversation",
    message: "Message",
    placeholder: "Write a message. Enter sends, Shift+Enter starts a new line.",
    send: "Send",
    stop: "Stop",
    retry: "Retry",
    rename: "Rename chat",
    chatTitle: "Chat title",
    save: "Save",
    cancel: "Cancel",
    delete: "Delete chat",
    deleteConfirm: "Delete this chat and its messages?",
    export: "Export",
    exportHint: "Download this chat as a Markdown file",
    notFoundTitle: "Chat not found",
    notFound: "This chat does not exist (or was deleted).",
    loadFailedTitle: "Could not load this chat",
  },
  persona: {
    legend: "Persona",
    hint: "Who the assistant should be. Some personas ask for a detail or two.",
    none: "No persona",
    noneHint: "A general assistant. You can give it a system prompt later.",
    loading: "Loading personas…",
    loadFailed: "The personas could not be loaded; you can start without one.",
    required: "Please fill this in.",
    header: "Persona:",
  },
  context: {
    label: "Context and settings",
    summary: "What the assistant knows about you, and its settings",
    unset: "Not set",
    systemPrompt: "System prompt",
    model: "Model",
    temperatureShort: "Temperature",
    temperature: "Temperature (0 to 2)",
    temperatureRange: "Enter a number from 0 to 2.",
    edit: "Edit",
    aboutYou: "About you",
    settings: "How it answers",
    note: "Changes apply to the next message; earlier answers stay as they are.",
    formNote: "An empty field removes what it held. Changes apply to the next message.",
    saved: "Saved.",
  },
  reply: {
    copy: "Copy",
    copied: "Copied",
    copyByHand: "This browser would not copy it: the text is selected, press Ctrl+C (⌘C on a Mac).",
    regenerate: "Regenerate",
    versions: "Answers",
    previous: "Previous answer",
    next: "Next answer",
    position: "Answer {number} of {total}",
    olderShown: "An earlier answer: the conversation goes on from the newest one.",
  },
  usage: {
    title: "Usage",
    today: "Today",
    quotaUsed: { one: "{used} of {limit} message used today", other: "{used} of {limit} messages used today" },
    quotaLeft: "{remaining} left, resets {relative} ({time})",
    lastDays: "The last {days} days",
    repliesTitle: "Replies per day",
    tokensTitle: "Tokens per day",
    repliesSummary: {
      one: "{total} reply in the last {days} days; the busiest day was {day} with {max}.",
      other: "{total} replies in the last {days} days; the busiest day was {day} with {max}.",
    },
    noReplies: "No replies in the last {days} days.",
    tokensSummary: "{total} tokens in the last {days} days: {prompt} in your messages and context, {completion} in replies.",
    promptTokens: "Prompt tokens",
    completionTokens: "Completion tokens",
    replyBar: { one: "{day}: {count} reply", other: "{day}: {count} replies" },
    tokenBar: "{day}: {prompt} prompt + {completion} completion tokens",
    tableCaption: "Replies and tokens per day",
    day: "Day",
    replies: "Replies",
    showTable: "Show the numbers",
    hideTable: "Hide the numbers",
  },
  keys: {
    title: "API keys",
    intro: "Keys let scripts and any OpenAI client use your account: same daily quota, same history. ",
    baseUrl: "Give the client this base URL and a key:",
    name: "Key name",
    create: "Create key",
    yourKeys: "Your keys",
    listLabel: "Your API keys",
    none: "No API keys yet.",
    newKey: "New API key",
    fresh: 'Your new key "{name}". ',
    freshNote: "Copy it now: it is not shown again.",
    copy: "Copy",
    copied: "Copied",
    copyByHand: "Select and copy it by hand",
    revoke: "Revoke",
    revokeLabel: "Revoke {name}",
    revokeConfirm: 'Revoke "{name}"? Scripts using it stop working at once.',
    created: "created {date}",
    lastUsed: "last used {date}",
    neverUsed: "never used",
  },
  account: {
    title: "Account",
    detailsTitle: "Email and password",
    noEmail: "No email",
    emailStatus: "Confirmation",
    verified: "Confirmed",
    unverified: "Not confirmed yet",
    passwordSet: "Set",
    passwordNotSet: "Not set",
    noPasswordHint:
      "To log in with a password as well, log out and use “Forgot password?” on the log-in page: the link it mails lets you choose one.",
    methodsTitle: "GitHub and Kakao",
    linkedLabel: "Linked accounts",
    linkedOn: "linked {date}",
    noneLinked: "No GitHub or Kakao account is linked.",
    unlink: "Unlink",
    unlinkLabel: "Unlink {provider}",
    link: "Link {provider}",
    linked: "{provider} is linked: you can log in with it now.",
    changePassword: "Change password",
    currentPassword: "Current password",
    passwordChanged: "Password changed. Your other devices have been logged out.",
  },
  errors: {
    network: "Cannot reach the server. Check your connection and try again.",
    sessionEnded: "Your session has ended. Please log in again.",
    quota: {
      one: "You have used all {limit} message for today. You can send more after {time} ({relative}).",
      other: "You have used all {limit} messages for today. You can send more after {time} ({relative}).",
    },
    tooMany: "Too many attempts. Try again {relative}.",
    tooManySoon: "Too many attempts. Please wait a moment and try again.",
    checkInput: "Please check what you entered.",
    upstream: "The language model service answered with an error or could not be reached. Please try again.",
    busy: "The service is busy. Please try again in a few seconds.",
    timeout: "The language model service did not answer in time. Please try again.",
    server: "Something went wrong on the server ({status}). Please try again.",
    streamCut: "The reply stopped before it was complete. Please try again.",
    status: "The server answered {status}.",
    unexpected: "Something went wrong. Please try again.",
  },
};

const ko = {
  app: {
    name: "챗봇",
    untitledChat: "제목 없는 채팅",
  },
  language: {
    label: "언어",
  },
  auth: {
    email: "이메일",
    password: "비밀번호",
    passwordHint: "8자 이상으로, 흔하거나 이메일과 비슷하지 않게 정해 주세요.",
    nickname: "닉네임 (선택)",
    loginTitle: "로그인",
    loginButton: "로그인",
    signupTitle: "계정 만들기",
    signupButton: "회원가입",
    newHere: "처음이신가요? ",
    createAccount: "계정 만들기",
    haveAccount: "이미 계정이 있나요? ",
    logInLink: "로그인",
    wrongCredentials: "이메일 또는 비밀번호가 맞지 않아요.",
    forgotPassword: "비밀번호를 잊으셨나요?",
    or: "또는",
  },
  social: {
    github: "GitHub",
    kakao: "카카오",
    someProvider: "GitHub 또는 카카오",
    continue: "{provider}로 계속하기",
    finishing: "로그인하는 중…",
    errors: {
      access_denied: "로그인을 취소했어요.",
      email_conflict:
        "이 이메일을 쓰는 계정이 이미 있어요. 비밀번호로 로그인한 다음 계정 페이지에서 {provider} 계정을 연결해 주세요.",
      already_linked: "이 {provider} 계정은 이미 다른 사용자와 연결되어 있어요.",
      failed: "로그인을 마치지 못했어요. 다시 시도해 주세요.",
      state: "이 로그인 요청을 확인할 수 없어요. 다른 탭이나 창에서 시작했거나 이미 끝난 요청이에요. 다시 시도해 주세요.",
    },
  },
  reset: {
    forgotTitle: "비밀번호를 잊으셨나요?",
    forgotIntro: "계정의 이메일 주소를 입력하면 새 비밀번호를 정할 수 있는 링크를 보내 드려요.",
    send: "재설정 링크 보내기",
    sent: "이 주소로 가입한 계정이 있다면 링크를 보냈어요.",
    backToLogin: "로그인으로 돌아가기",
    resetTitle: "새 비밀번호 정하기",
    newPassword: "새 비밀번호",
    setPassword: "새 비밀번호 저장",
    done: "비밀번호를 바꿨어요. 새 비밀번호로 로그인해 주세요.",
    askAgain: "새 링크 받기",
  },
  verify: {
    bannerLabel: "이메일 인증",
    banner: "이메일 주소를 인증해 주세요. {email} 주소로 인증 링크를 보냈어요.",
    resend: "인증 메일 다시 받기",
    sent: "보냈어요",
    title: "이메일 주소 인증",
    checking: "인증하는 중…",
    done: "이메일 주소를 인증했어요.",
    invalid: "올바르지 않거나 만료됐거나 이미 사용한 링크예요.",
    toChats: "내 채팅으로 가기",
  },
  shell: {
    chatsToggle: "채팅 목록",
    chatsNav: "채팅",
    newChat: "새 채팅",
    search: "채팅 검색",
    yourChats: "내 채팅",
    loadMore: "더 보기",
    loadingMore: "불러오는 중…",
    shown: "{count}개 중 {shown}개",
    noChats: "아직 채팅이 없어요.",
    noMatch: "검색과 일치하는 채팅이 없어요.",
    deleteAll: "모든 채팅 삭제",
    deleteAllConfirm: "모든 채팅을 삭제할까요? 되돌릴 수 없어요.",
    quotaLabel: "오늘 남은 횟수",
    quota: "오늘 {limit}회 중 {remaining}회 남음 · {time} 초기화",
    usage: "사용량",
    apiKeys: "API 키",
    account: "계정",
    logOut: "로그아웃",
  },
  welcome: {
    title: "환영해요",
    before: "목록에서 채팅을 고르거나 ",
    link: "새 대화를 시작해 보세요",
    after: ".",
  },
  newChat: {
    title: "새 채팅",
    settings: "설정 (선택)",
    model: "모델",
    modelDefault: "{model} (기본)",
    modelsLoading: "모델 목록을 불러오는 중…",
    serverDefault: "서버 기본값",
    temperature: "온도 (0~2)",
    stream: "답변이 작성되는 대로 보여 주기",
    next: "다음",
    back: "이전",
    skip: "건너뛰기",
    start: "채팅 시작",
    progress: "질문 {number}/{total}",
    current_state: "지금 어떤 상황인가요? 현재 상황을 알려 주세요.",
    goal: "무엇을 이루고 싶나요?",
    misc: "그 밖에 기억해 두어야 할 것이 있나요?",
  },
  conversation: {
    loading: "불러오는 중…",
    you: "나",
    assistant: "어시스턴트",
    stopped: "끝나기 전에 멈췄어요.",
    current_state: "현재 상황",
    goal: "목표",
    misc: "기타",
    temperature: "온도 {value}",
    streaming: "스트리밍",
    started: "{date} 시작",
    label: "대화",
    message: "메시지",
    placeholder: "메시지를 입력하세요. Enter로 보내고 Shift+Enter로 줄을 바꿔요.",
    send: "보내기",
    stop: "중지",
    retry: "다시 시도",
    rename: "이름 바꾸기",
    chatTitle: "채팅 제목",
    save: "저장",
    cancel: "취소",
    delete: "채팅 삭제",
    deleteConfirm: "이 채팅과 메시지를 모두 삭제할까요?",
    export: "내려받기",
    exportHint: "이 채팅을 마크다운 파일로 내려받기",
    notFoundTitle: "채팅을 찾을 수 없어요",
    notFound: "없는 채팅이거나 삭제된 채팅이에요.",
    loadFailedTitle: "채팅을 불러오지 못했어요",
  },
  persona: {
    legend: "페르소나",
    hint: "어시스턴트가 어떤 역할을 할지 골라 주세요. 페르소나에 따라 한두 가지를 더 물어봐요.",
    none: "페르소나 없음",
    noneHint: "일반 어시스턴트예요. 시스템 프롬프트는 나중에 정할 수 있어요.",
    loading: "페르소나를 불러오는 중…",
    loadFailed: "페르소나를 불러오지 못했어요. 페르소나 없이 시작할 수 있어요.",
    required: "이 항목을 입력해 주세요.",
    header: "페르소나:",
  },
  context: {
    label: "맥락과 설정",
    summary: "어시스턴트가 알고 있는 내 정보와 설정",
    unset: "없음",
    systemPrompt: "시스템 프롬프트",
    model: "모델",
    temperatureShort: "온도",
    temperature: "온도 (0~2)",
    temperatureRange: "0에서 2 사이의 숫자를 입력해 주세요.",
    edit: "편집",
    aboutYou: "내 정보",
    settings: "답변 방식",
    note: "바꾼 내용은 다음 메시지부터 적용돼요. 이전 답변은 그대로예요.",
    formNote: "칸을 비우면 그 내용이 지워져요. 바꾼 내용은 다음 메시지부터 적용돼요.",
    saved: "저장했어요.",
  },
  reply: {
    copy: "복사",
    copied: "복사했어요",
    copyByHand: "이 브라우저에서는 바로 복사할 수 없어요. 텍스트를 선택해 두었으니 Ctrl+C(Mac은 ⌘C)를 눌러 주세요.",
    regenerate: "다시 생성",
    versions: "답변 버전",
    previous: "이전 답변",
    next: "다음 답변",
    position: "답변 {number}/{total}",
    olderShown: "이전 답변이에요. 대화는 가장 최근 답변에서 이어져요.",
  },
  usage: {
    title: "사용량",
    today: "오늘",
    quotaUsed: "오늘 {limit}회 중 {used}회 사용",
    quotaLeft: "{remaining}회 남음 · {relative}({time}) 초기화",
    lastDays: "최근 {days}일",
    repliesTitle: "일별 답변 수",
    tokensTitle: "일별 토큰",
    repliesSummary: "최근 {days}일 동안 답변 {total}개를 받았어요. 가장 많았던 날은 {day}({max}개)예요.",
    noReplies: "최근 {days}일 동안 받은 답변이 없어요.",
    tokensSummary: "최근 {days}일 동안 토큰 {total}개를 썼어요. 입력(메시지와 맥락) {prompt}개, 출력(답변) {completion}개예요.",
    promptTokens: "입력 토큰",
    completionTokens: "출력 토큰",
    replyBar: "{day}: 답변 {count}개",
    tokenBar: "{day}: 입력 {prompt} + 출력 {completion} 토큰",
    tableCaption: "일별 답변 수와 토큰",
    day: "날짜",
    replies: "답변 수",
    showTable: "숫자로 보기",
    hideTable: "숫자 숨기기",
  },
  keys: {
    title: "API 키",
    intro: "키가 있으면 스크립트나 OpenAI 클라이언트에서 내 계정을 쓸 수 있어요. 일일 한도와 기록도 같이 써요. ",
    baseUrl: "클라이언트에 이 기본 URL과 키를 넣어 주세요:",
    name: "키 이름",
    create: "키 만들기",
    yourKeys: "내 키",
    listLabel: "내 API 키",
    none: "아직 API 키가 없어요.",
    newKey: "새 API 키",
    fresh: '새 키 "{name}". ',
    freshNote: "지금 복사해 두세요. 다시 보여 주지 않아요.",
    copy: "복사",
    copied: "복사했어요",
    copyByHand: "직접 선택해서 복사해 주세요",
    revoke: "폐기",
    revokeLabel: "{name} 폐기",
    revokeConfirm: '"{name}" 키를 폐기할까요? 이 키를 쓰는 스크립트는 바로 멈춰요.',
    created: "{date} 생성",
    lastUsed: "마지막 사용 {date}",
    neverUsed: "사용한 적 없음",
  },
  account: {
    title: "계정",
    detailsTitle: "이메일과 비밀번호",
    noEmail: "이메일 없음",
    emailStatus: "인증",
    verified: "인증됨",
    unverified: "아직 인증 안 됨",
    passwordSet: "설정됨",
    passwordNotSet: "설정 안 됨",
    noPasswordHint:
      "비밀번호로도 로그인하려면 로그아웃한 뒤 로그인 페이지에서 “비밀번호를 잊으셨나요?”를 눌러 주세요. 메일로 받은 링크에서 비밀번호를 정할 수 있어요.",
    methodsTitle: "GitHub와 카카오",
    linkedLabel: "연결된 계정",
    linkedOn: "{date} 연결",
    noneLinked: "연결된 GitHub나 카카오 계정이 없어요.",
    unlink: "연결 해제",
    unlinkLabel: "{provider} 연결 해제",
    link: "{provider} 연결하기",
    linked: "{provider} 계정을 연결했어요. 이제 {provider}로 로그인할 수 있어요.",
    changePassword: "비밀번호 변경",
    currentPassword: "현재 비밀번호",
    passwordChanged: "비밀번호를 바꿨어요. 다른 기기에서는 로그아웃됐어요.",
  },
  errors: {
    network: "서버에 연결할 수 없어요. 인터넷 연결을 확인하고 다시 시도해 주세요.",
    sessionEnded: "로그인이 만료됐어요. 다시 로그인해 주세요.",
    quota: "오늘 보낼 수 있는 메시지 {limit}개를 모두 썼어요. {relative}({time})부터 다시 보낼 수 있어요.",
    tooMany: "요청이 너무 많아요. {relative} 다시 시도해 주세요.",
    tooManySoon: "요청이 너무 많아요. 잠시 후 다시 시도해 주세요.",
    checkInput: "입력한 내용을 확인해 주세요.",
    upstream: "언어 모델 서비스가 오류로 응답했거나 연결되지 않았어요. 다시 시도해 주세요.",
    busy: "서비스가 바빠요. 몇 초 후에 다시 시도해 주세요.",
    timeout: "언어 모델 서비스가 제시간에 답하지 않았어요. 다시 시도해 주세요.",
    server: "서버에 문제가 생겼어요({status}). 다시 시도해 주세요.",
    streamCut: "답변이 끝나기 전에 끊겼어요. 다시 시도해 주세요.",
    status: "서버가 {status} 오류로 응답했어요.",
    unexpected: "문제가 생겼어요. 다시 시도해 주세요.",
  },
};

export const dictionaries = { en, ko };

let language = initialLanguage();
const listeners = new Set();
applyLanguage();

function initialLanguage() {
  let saved = null;
  try {
    saved = localStorage.getItem(STORAGE_KEY);
  } catch {
    // storage can be switched off; the browser's language still applies
  }
  if (saved && saved in dictionaries) return saved;
  return (navigator.language || "").toLowerCase().startsWith("ko") ? "ko" : "en";
}

function applyLanguage() {
  document.documentElement.lang = language;
  document.title = t("app.name");
}

export function getLanguage() {
  return language;
}

/** Switch and remember the language; listeners (the router) render the current view again. */
export function setLanguage(next) {
  if (!(next in dictionaries) || next === language) return;
  language = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // not remembered, but switched
  }
  applyLanguage();
  listeners.forEach((listener) => listener(language));
}

export function onLanguageChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function lookup(dictionary, key) {
  return key.split(".").reduce((node, part) => (node == null ? undefined : node[part]), dictionary);
}

/** The text for `key` in the current language, with `{name}` replaced by `params.name`. */
export function t(key, params = {}) {
  let value = lookup(dictionaries[language], key) ?? lookup(en, key);
  if (value === undefined) {
    console.warn(`i18n: no text for "${key}"`);
    return key;
  }
  if (typeof value === "object") value = value[new Intl.PluralRules(locale()).select(params.count ?? 0)] ?? value.other;
  return value.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
}

// --- Dates, times, numbers ----------------------------------------------------------------------

/** The browser's own locale when it is in the chosen language (en-GB keeps its dates), else a default. */
export function locale() {
  const browser = navigator.language || "";
  if (browser.toLowerCase().startsWith(language)) return browser;
  return language === "ko" ? "ko-KR" : "en-US";
}

export function formatTime(date) {
  return new Intl.DateTimeFormat(locale(), { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(date);
}

export function formatDateTime(date) {
  return new Intl.DateTimeFormat(locale(), { dateStyle: "medium", timeStyle: "short", hourCycle: "h23" }).format(date);
}

const DAY_STYLES = {
  short: { month: "numeric", day: "numeric" }, // an axis: 11/24, 11. 24.
  medium: { month: "long", day: "numeric" }, // a sentence: November 24, 11월 24일
  long: { weekday: "short", month: "short", day: "numeric" }, // a table or tooltip: Tue, Nov 24
};

export function formatDay(date, style = "long") {
  return new Intl.DateTimeFormat(locale(), DAY_STYLES[style]).format(date);
}

export function formatNumber(value, options = {}) {
  return new Intl.NumberFormat(locale(), options).format(value);
}

const RELATIVE_UNITS = [
  ["year", 365 * 24 * 3600],
  ["month", 30 * 24 * 3600],
  ["week", 7 * 24 * 3600],
  ["day", 24 * 3600],
  ["hour", 3600],
  ["minute", 60],
  ["second", 1],
];

/** "in 3 hours" / "3시간 후", "yesterday" / "어제": the largest unit that fits. */
export function formatRelative(date, now = new Date()) {
  const seconds = (date.getTime() - now.getTime()) / 1000;
  const format = new Intl.RelativeTimeFormat(locale(), { numeric: "auto" });
  for (const [unit, size] of RELATIVE_UNITS) {
    if (Math.abs(seconds) >= size || unit === "second") {
      return format.format(Math.round(seconds / size), unit);
    }
  }
  return "";
}

// --- Errors from the API ------------------------------------------------------------------------

/**
 * What to tell the person about a failed request (an ApiError from api.js, or anything thrown).
 * Known statuses get our own words; otherwise the server's detail (or its first field error).
 * `byStatus` lets a view name its own key for a status, e.g. {401: "auth.wrongCredentials"}.
 */
export function errorText(error, { byStatus = {} } = {}) {
  const status = error?.status;
  if (typeof status !== "number") return t("errors.unexpected");
  if (byStatus[status]) return t(byStatus[status]);
  if (error.code === "stream_cut") return t("errors.streamCut");
  if (status === 0) return t("errors.network");
  if (status === 401) return t("errors.sessionEnded");
  if (status === 429) {
    if (error.resetsAt) {
      const limit = error.body?.limit ?? 0;
      return t("errors.quota", {
        limit,
        count: limit,
        time: formatTime(error.resetsAt),
        relative: formatRelative(error.resetsAt),
      });
    }
    if (error.retryAfter) {
      return t("errors.tooMany", { relative: formatRelative(new Date(Date.now() + error.retryAfter * 1000)) });
    }
    return t("errors.tooManySoon");
  }
  if (status === 502) return t("errors.upstream");
  if (status === 503) return t("errors.busy");
  if (status === 504) return t("errors.timeout");
  if (status >= 500) return t("errors.server", { status });
  if (error.detail) return error.detail;
  const fieldMessages = Object.values(error.fields || {})
    .flat(Infinity)
    .filter((message) => typeof message === "string");
  if (fieldMessages.length) return fieldMessages[0];
  return status === 400 ? t("errors.checkInput") : t("errors.status", { status });
}
