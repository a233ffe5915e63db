package sentiment

// Word weights: 2 for an ordinary opinion word, 3 for a strong one;
// negative words are negative. The list is small on purpose: it covers
// what audiences say about events and posts, and a reader can check every
// result by hand.
var lexicon = map[string]int{
	// positive
	"good": 2, "great": 2, "nice": 2, "like": 2, "liked": 2, "likes": 2, "enjoy": 2, "enjoyed": 2,
	"happy": 2, "glad": 2, "thanks": 2, "thank": 2, "helpful": 2, "useful": 2, "fun": 2,
	"exciting": 2, "excited": 2, "beautiful": 2, "inspiring": 2, "recommend": 2, "impressive": 2,
	"interesting": 2, "well": 1, "welcoming": 2, "friendly": 2, "smooth": 2, "win": 2, "cool": 2,
	"love": 3, "loved": 3, "loves": 3, "amazing": 3, "awesome": 3, "excellent": 3, "fantastic": 3,
	"wonderful": 3, "brilliant": 3, "perfect": 3, "outstanding": 3, "best": 3, "incredible": 3,
	// negative
	"bad": -2, "poor": -2, "boring": -2, "disappointing": -2, "disappointed": -2, "sad": -2,
	"angry": -2, "broken": -2, "slow": -2, "rude": -2, "waste": -2, "expensive": -2,
	"crowded": -2, "late": -2, "problem": -2, "problems": -2, "issue": -2, "issues": -2,
	"annoying": -2, "confusing": -2, "cancelled": -2, "canceled": -2, "delay": -2, "delays": -2,
	"fail": -2, "failed": -2, "wrong": -2, "unfortunately": -2, "meh": -1, "queues": -1,
	"hate": -3, "hated": -3, "terrible": -3, "awful": -3, "horrible": -3, "worst": -3,
	"disaster": -3, "useless": -3, "scam": -3,
}

// negators flip the sign of the next opinion word within negationWindow
// words ("not good", "never liked it").
var negators = set("not", "no", "never", "nothing", "neither", "nor", "without", "cannot",
	"don't", "dont", "doesn't", "doesnt", "didn't", "didnt", "isn't", "isnt", "wasn't", "wasnt",
	"aren't", "arent", "weren't", "werent", "can't", "cant", "won't", "wont", "couldn't",
	"shouldn't", "wouldn't", "hardly")

// intensifiers make the next opinion word one step stronger ("very good").
var intensifiers = set("very", "really", "so", "super", "extremely", "incredibly", "totally",
	"absolutely", "truly", "too", "highly", "most")

// emoticons are whole words that carry an opinion.
var emoticons = map[string]int{
	":)": 2, ":-)": 2, ":D": 2, ":-D": 2, ";)": 2, "<3": 3, "(:": 2,
	":(": -2, ":-(": -2, ":'(": -3, "</3": -3, ":/": -1, "):": -2,
}

// emoji are single runes that carry an opinion wherever they appear.
var emoji = map[rune]int{
	'😀': 2, '😃': 2, '😄': 2, '😁': 2, '😊': 2, '🙂': 2, '👍': 2, '👏': 2, '🎉': 2, '✨': 2,
	'😍': 3, '🥰': 3, '❤': 3,
	'🙁': -2, '☹': -2, '😞': -2, '😒': -2, '😢': -2, '👎': -2,
	'😠': -3, '😡': -3, '😭': -3, '💔': -3,
}

// stopwords are never keywords.
var stopwords = set("the", "and", "for", "with", "this", "that", "these", "those", "was", "were",
	"are", "is", "its", "it's", "be", "been", "being", "have", "has", "had", "you", "your", "our",
	"ours", "we", "they", "them", "their", "there", "but", "all", "from", "about", "will", "would",
	"can", "could", "should", "what", "which", "who", "whom", "how", "when", "where", "why", "then",
	"than", "also", "more", "some", "any", "out", "into", "over", "again", "just", "one", "his",
	"her", "she", "him", "i'm", "i've", "you're", "we're", "they're", "let's", "did", "does",
	"get", "got", "here", "only", "very", "really", "much", "such", "each", "every", "other", "yet")

func set(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}
