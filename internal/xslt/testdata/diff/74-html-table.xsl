<?xml version="1.0"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="html" indent="yes"/><xsl:template match="/"><html><head><title>Books</title></head><body><table border="1"><tr><th>Title</th><th>Year</th></tr><xsl:for-each select="//book"><xsl:sort select="@year" data-type="number"/><tr><xsl:if test="position() mod 2 = 0"><xsl:attribute name="class">even</xsl:attribute></xsl:if><td><a href="/books/{@id}"><xsl:value-of select="title"/></a></td><td><xsl:value-of select="@year"/></td></tr></xsl:for-each></table></body></html></xsl:template>
</xsl:stylesheet>
